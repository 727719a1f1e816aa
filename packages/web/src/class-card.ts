import { acceptImages, h } from './dom.js';
import { message, type Reporter } from './events.js';
import { thumbnail } from './image.js';
import type { Pixels } from './protocol.js';
import type { GraftTrainer } from './trainer-element.js';

const MAX_THUMBS = 30;
const RECORD_INTERVAL_MS = 120;

/** What a class card's controls need from the element. */
export interface ClassCardHost {
  trainer: Pick<
    GraftTrainer,
    'renameClass' | 'removeClass' | 'addExamples' | 'addExample' | 'removeExample' | 'startWebcam'
  >;
  /** The webcam's picture, whose frames hold-to-record adds. */
  video: HTMLVideoElement;
  webcamOn(): boolean;
  report: Pick<Reporter, 'act' | 'fail'>;
}

/**
 * One class's card: its name (editable), example count and thumbnails, Upload, drop and paste of
 * images, and _Hold to record_ (webcam frames while the button is held).
 */
export class ClassCard {
  readonly element: HTMLElement;
  count = 0;
  private readonly nameInput: HTMLInputElement;
  private readonly countLabel: HTMLElement;
  private readonly thumbs: HTMLElement;
  private readonly removeButton: HTMLButtonElement;
  /** "+N more" beyond the thumbnails shown. */
  private readonly more = h('div', { class: 'hint', hidden: true });

  constructor(
    public name: string,
    private readonly host: ClassCardHost,
  ) {
    const { trainer, report } = host;
    const nameInput = h('input', { type: 'text', value: name, 'aria-label': 'Class name' });
    nameInput.dataset.committed = name;
    this.nameInput = nameInput;
    this.countLabel = h('span', { class: 'count', text: '0 images' });
    const remove = h('button', {
      type: 'button',
      'aria-label': removeLabel(name),
      title: 'Remove class',
      text: '✕',
    });
    this.thumbs = h('div', { class: 'thumbs', role: 'list', 'aria-label': 'Examples' });
    const fileInput = h('input', {
      type: 'file',
      accept: 'image/*',
      multiple: true,
      class: 'visually-hidden',
      tabindex: -1,
      // the Upload button in front is the control; this one would read as "Choose File"
      'aria-hidden': 'true',
    });
    const upload = h('button', { type: 'button', text: 'Upload' });
    const record = h('button', {
      type: 'button',
      text: 'Hold to record',
      title: 'Hold (mouse, touch, Space or Enter) to capture webcam frames',
    });
    const card = h('div', { class: 'class-card', tabindex: 0, role: 'group' }, [
      h('div', { class: 'class-head' }, [nameInput, this.countLabel, remove]),
      this.thumbs,
      this.more,
      h('div', { class: 'row' }, [upload, record, fileInput]),
      h('div', { class: 'hint pointer-fine', text: 'or drop or paste images here' }),
    ]);
    this.element = card;
    this.removeButton = remove;
    card.setAttribute('aria-label', `Class ${name}`);

    nameInput.addEventListener('change', () => {
      const from = nameInput.dataset.committed!;
      report.act(async () => {
        try {
          await trainer.renameClass(from, nameInput.value);
        } catch (err) {
          nameInput.value = from;
          throw report.fail(message(err), 'choose another name');
        }
      });
    });
    remove.addEventListener('click', () => report.act(() => trainer.removeClass(this.name)));
    upload.addEventListener('click', () => fileInput.click());
    fileInput.addEventListener('change', () => {
      const files = [...(fileInput.files ?? [])];
      fileInput.value = '';
      report.act(() => trainer.addExamples(this.name, files));
    });
    acceptImages(
      card,
      (images) => trainer.addExamples(this.name, images),
      (run) => report.act(run),
    );
    this.recordWhileHeld(record);
  }

  /** Takes a new name (the engine has renamed the class already). */
  rename(to: string): void {
    this.name = to;
    this.nameInput.value = to;
    this.nameInput.dataset.committed = to;
    this.element.setAttribute('aria-label', `Class ${to}`);
    this.removeButton.setAttribute('aria-label', removeLabel(to));
  }

  focusName(): void {
    this.nameInput.focus();
  }

  /** Shows new examples first among the thumbnails (the latest {@link MAX_THUMBS}). */
  showExamples(pixels: Pixels[]): void {
    for (const p of pixels) {
      const item = h('div', { class: 'thumb', role: 'listitem' }, [thumbnail(p, 36)]);
      const remove = h('button', {
        type: 'button',
        class: 'remove-example',
        text: '×',
        'aria-label': 'Remove this example',
      });
      remove.addEventListener('click', () =>
        this.host.report.act(async () => {
          // thumbnails are newest first: the n-th shown is example count - 1 - n in the order added
          const index = this.count - 1 - [...this.thumbs.children].indexOf(item);
          await this.host.trainer.removeExample(this.name, index);
          item.remove();
        }),
      );
      item.append(remove);
      this.thumbs.prepend(item);
      while (this.thumbs.childElementCount > MAX_THUMBS) this.thumbs.lastElementChild!.remove();
    }
  }

  setCount(count: number): void {
    this.count = count;
    this.countLabel.textContent = `${count} image${count === 1 ? '' : 's'}`;
    const hidden = count - Math.min(count, MAX_THUMBS);
    this.more.textContent = hidden > 0 ? `+${hidden} more` : '';
    this.more.hidden = hidden === 0;
  }

  /** Forgets the examples shown. */
  clear(): void {
    this.thumbs.replaceChildren();
    this.setCount(0);
  }

  /** Hold-to-record: a webcam frame every {@link RECORD_INTERVAL_MS} while `record` is held. */
  private recordWhileHeld(record: HTMLButtonElement): void {
    const { trainer, report } = this.host;
    let recording = false;
    let timer: ReturnType<typeof setInterval> | null = null;
    // the webcam's picture moves into this card while it records (Teachable Machine's habit), then back
    let home: { parent: Node; next: Node | null } | null = null;
    const video = this.host.video;
    const showHere = () => {
      if (home) return;
      home = { parent: video.parentNode!, next: video.nextSibling };
      this.thumbs.after(video);
      video.classList.add('in-card');
      void video.play().catch(() => {});
    };
    const putBack = () => {
      if (!home) return;
      home.parent.insertBefore(video, home.next);
      video.classList.remove('in-card');
      void video.play().catch(() => {});
      home = null;
    };
    const start = () => {
      if (recording) return;
      recording = true;
      record.classList.add('recording');
      record.setAttribute('aria-pressed', 'true');
      report.act(async () => {
        await trainer.startWebcam();
        if (!recording || timer) return;
        showHere();
        let busy = false;
        timer = setInterval(() => {
          if (busy || !this.host.webcamOn()) return;
          busy = true;
          trainer
            .addExample(this.name, this.host.video)
            .catch((err) => report.fail(message(err), 'try again'))
            .finally(() => {
              busy = false;
            });
        }, RECORD_INTERVAL_MS);
      });
    };
    const stop = () => {
      recording = false;
      if (timer) clearInterval(timer);
      timer = null;
      record.classList.remove('recording');
      record.setAttribute('aria-pressed', 'false');
      putBack();
    };
    onHold(record, start, stop);
  }
}

/** `start` when `button` is pressed (pointer, Space or Enter), `stop` when released or left. */
function onHold(button: HTMLButtonElement, start: () => void, stop: () => void): void {
  button.addEventListener('pointerdown', (e) => {
    button.setPointerCapture?.(e.pointerId);
    start();
  });
  button.addEventListener('pointerup', stop);
  button.addEventListener('pointercancel', stop);
  button.addEventListener('keydown', (e) => {
    if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      start();
    }
  });
  button.addEventListener('keyup', (e) => {
    if (e.key === ' ' || e.key === 'Enter') stop();
  });
  button.addEventListener('blur', stop);
}

/** The remove button's accessible name, which follows the class's name. */
function removeLabel(name: string): string {
  return `Remove class ${name}`;
}
