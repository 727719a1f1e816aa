import type { Pixels } from './protocol.js';

/** What `addExample` and `predict` take. */
export type ImageLike =
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | ImageBitmap
  | ImageData
  | OffscreenCanvas
  | Blob
  | string;

type Drawable = CanvasImageSource & { width: number; height: number };

function sizeOf(source: CanvasImageSource): [number, number] {
  if (source instanceof HTMLVideoElement) return [source.videoWidth, source.videoHeight];
  if (source instanceof HTMLImageElement) return [source.naturalWidth, source.naturalHeight];
  const s = source as Drawable;
  return [s.width, s.height];
}

async function drawable(
  image: ImageLike,
  name: string,
): Promise<{ source: CanvasImageSource; close?: () => void }> {
  if (typeof image === 'string') {
    const response = await fetch(image).catch((err: unknown) => {
      throw new Error(`could not fetch ${image}: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (!response.ok) throw new Error(`could not fetch ${image}: HTTP ${response.status}`);
    return drawable(await response.blob(), image);
  }
  if (image instanceof Blob) {
    try {
      const bitmap = await createImageBitmap(image, {
        colorSpaceConversion: 'none',
        premultiplyAlpha: 'none',
      });
      return { source: bitmap, close: () => bitmap.close() };
    } catch {
      throw new Error(
        `${name} could not be decoded as an image (${image.type || 'unknown type'}, ${image.size} bytes)`,
      );
    }
  }
  if (image instanceof ImageData) {
    const canvas = new OffscreenCanvas(image.width, image.height);
    canvas.getContext('2d')!.putImageData(image, 0, 0);
    return { source: canvas };
  }
  if (image instanceof HTMLImageElement && !image.complete) await image.decode();
  return { source: image };
}

/**
 * Decodes an image to 8-bit RGB at its own size, so that the engine resizes it exactly as Graft
 * does everywhere (bilinear, half-pixel centres, no crop — Keras's and the CLI's numbers). Only
 * images over 4× the model's input size are first scaled down by the browser, to twice it.
 */
export async function toPixels(
  image: ImageLike,
  [height, width]: readonly [number, number],
  name = 'the image',
): Promise<Pixels> {
  const { source, close } = await drawable(image, image instanceof File ? image.name : name);
  try {
    const [sw, sh] = sizeOf(source);
    if (!(sw > 0 && sh > 0))
      throw new Error(`${name} has no pixels yet (${sw}×${sh}); is the camera or image loaded?`);
    const scale = sw > 4 * width || sh > 4 * height ? Math.max((2 * width) / sw, (2 * height) / sh) : 1;
    const w = Math.max(1, Math.round(sw * scale));
    const h = Math.max(1, Math.round(sh * scale));
    const canvas = new OffscreenCanvas(w, h);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.imageSmoothingQuality = 'high';
    context.drawImage(source, 0, 0, w, h);
    const rgba = context.getImageData(0, 0, w, h).data;
    const pixels = new Uint8Array(w * h * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      pixels[j] = rgba[i]!;
      pixels[j + 1] = rgba[i + 1]!;
      pixels[j + 2] = rgba[i + 2]!;
    }
    return { pixels, width: w, height: h };
  } finally {
    close?.();
  }
}

/** A small canvas showing decoded pixels (no data: URLs, so a strict CSP needs nothing for it). */
export function thumbnail(image: Pixels, size = 40): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.style.width = `${size}px`;
  canvas.style.height = `${Math.round((size * image.height) / image.width)}px`;
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; j < image.pixels.length; i += 4, j += 3) {
    rgba[i] = image.pixels[j]!;
    rgba[i + 1] = image.pixels[j + 1]!;
    rgba[i + 2] = image.pixels[j + 2]!;
    rgba[i + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
  return canvas;
}
