import { message, type Reporter } from './events.js';
import type { GraftTrainer } from './trainer-element.js';
import type { TrainerView } from './view.js';

/** What the webcam needs from the element. */
export interface WebcamHost {
  trainer: Pick<GraftTrainer, 'predict'>;
  report: Pick<Reporter, 'fail'>;
  refreshButtons(): void;
}

/** The camera, on and off, and live prediction on its frames. */
export class Webcam {
  private stream: MediaStream | null = null;
  private live = false;

  constructor(
    private readonly view: Pick<TrainerView, 'video' | 'showWebcam' | 'hideWebcam' | 'showLive'>,
    private readonly host: WebcamHost,
  ) {}

  get on(): boolean {
    return this.stream !== null;
  }

  get predicting(): boolean {
    return this.live;
  }

  async start(): Promise<void> {
    if (this.stream) return;
    try {
      if (!navigator.mediaDevices?.getUserMedia)
        throw Object.assign(new Error('no camera API'), { name: 'NotFoundError' });
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { width: 320, height: 240 },
        audio: false,
      });
    } catch (err) {
      throw this.host.report.fail(cameraMessage(err), 'allow the camera or use files');
    }
    await this.view.showWebcam(this.stream);
    this.host.refreshButtons();
  }

  stop(): void {
    this.live = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.view.hideWebcam();
    this.host.refreshButtons();
  }

  /** Predicts on frames continuously (one per animation frame at most) until {@link stopLive}. */
  async startLive(): Promise<void> {
    await this.start();
    if (this.live) return;
    this.live = true;
    this.view.showLive(true);
    while (this.live && this.stream) {
      try {
        await this.host.trainer.predict(this.view.video, 'webcam');
      } catch (err) {
        this.live = false;
        throw this.host.report.fail(`live prediction stopped: ${message(err)}`, 'try again');
      }
      await new Promise((r) => requestAnimationFrame(r));
    }
    this.view.showLive(false);
  }

  stopLive(): void {
    this.live = false;
  }
}

/** What went wrong opening the camera, and what to do instead. */
function cameraMessage(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'camera permission was denied: allow the camera for this site in the browser, or add images from files';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'no camera was found: connect one, or add images from files';
  if (name === 'NotReadableError') return 'the camera is in use by another application';
  return `the camera could not start: ${message(err)}`;
}
