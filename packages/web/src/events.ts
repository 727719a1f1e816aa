import type { Prediction } from '@graft/core';
import type { EngineEvent, EngineInfo, TrainedSummary, TrainingPoint } from './protocol.js';

/** The `detail` of each event the element dispatches (they bubble and cross the shadow root). */
export interface GraftTrainerEventMap {
  /** The backend is up and, with `model-url`, the backbone is loaded. */
  'graft-ready': EngineInfo & { modelId: string | null; inputSize: [number, number] | null };
  /** Loading bytes (`stage: 'load'`) or training (`stage: 'train'`, `point` at each epoch end). */
  'graft-progress':
    | { stage: 'load'; loaded: number; total?: number; file: string }
    | {
        stage: 'train';
        phase: string;
        epoch: number;
        batch?: number;
        batches?: number;
        point?: TrainingPoint;
      };
  'graft-trained': TrainedSummary;
  'graft-prediction': { prediction: Prediction; source: 'api' | 'image' | 'webcam' };
  /** Something failed; `message` says what and what to do about it. */
  'graft-error': { message: string; action: string };
}

/** The text of anything thrown. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An error whose message is already shown and dispatched as `graft-error`. */
export function reportedError(text: string): Error {
  const error = new Error(text);
  (error as { reported?: boolean }).reported = true;
  return error;
}

/** Whether {@link reportedError} made `err` (a UI action then reports nothing more). */
export function isReported(err: unknown): boolean {
  return Boolean((err as { reported?: boolean }).reported);
}

/** The `graft-progress` detail of an engine event. */
export function progressDetail(event: EngineEvent): GraftTrainerEventMap['graft-progress'] {
  if (event.type === 'load-progress')
    return { stage: 'load', loaded: event.loaded, total: event.total, file: event.file };
  if (event.type === 'train-batch')
    return {
      stage: 'train',
      phase: event.phase,
      epoch: event.epoch,
      batch: event.batch,
      batches: event.batches,
    };
  const p = event.point;
  return { stage: 'train', phase: p.phase, epoch: p.epoch, point: p };
}

/** Sends the element's events, and reports failures: shown (`showError`) and sent as `graft-error`. */
export class Reporter {
  constructor(
    private readonly target: EventTarget,
    private readonly showError: (text: string) => void,
  ) {}

  dispatch<K extends keyof GraftTrainerEventMap>(type: K, detail: GraftTrainerEventMap[K]): void {
    this.target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /**
   * Shows an error, sends `graft-error`, and returns it for the caller to throw. `shown`, when
   * given, is what the page's visitor reads instead (in their words; the event keeps the detail).
   */
  fail(text: string, action: string, shown = text): Error {
    this.showError(shown);
    this.dispatch('graft-error', { message: text, action });
    return reportedError(text);
  }

  /** Runs a UI action; its failure is already shown and dispatched, or is reported now. */
  act(run: () => Promise<unknown>): void {
    run().catch((err) => {
      if (!isReported(err)) this.fail(message(err), 'try again');
    });
  }
}

declare global {
  interface HTMLElementEventMap {
    'graft-ready': CustomEvent<GraftTrainerEventMap['graft-ready']>;
    'graft-progress': CustomEvent<GraftTrainerEventMap['graft-progress']>;
    'graft-trained': CustomEvent<GraftTrainerEventMap['graft-trained']>;
    'graft-prediction': CustomEvent<GraftTrainerEventMap['graft-prediction']>;
    'graft-error': CustomEvent<GraftTrainerEventMap['graft-error']>;
  }
}
