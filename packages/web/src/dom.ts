/** An element with attributes (`text` sets its text; `true` is an empty attribute, `false` none) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | boolean | number>> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children);
  return node;
}

/** Drop and paste of image files onto `target`; `act` runs `take` as a UI action. */
export function acceptImages(
  target: HTMLElement,
  take: (images: File[]) => Promise<unknown>,
  act: (run: () => Promise<unknown>) => void,
): void {
  target.addEventListener('dragover', (e) => {
    e.preventDefault();
    target.classList.add('dragging');
  });
  target.addEventListener('dragleave', () => target.classList.remove('dragging'));
  target.addEventListener('drop', (e) => {
    e.preventDefault();
    target.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/'));
    if (files.length) act(() => take(files));
  });
  target.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'));
    if (!files.length) return;
    e.preventDefault();
    act(() => take(files));
  });
}
