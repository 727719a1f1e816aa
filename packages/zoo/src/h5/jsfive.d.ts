// jsfive ships no type declarations; this is the part of its API Graft uses.
declare module 'jsfive' {
  export class Dataset {
    readonly shape: number[];
    readonly dtype: string | object;
    readonly value: ArrayLike<number> | unknown[];
    readonly attrs: Record<string, unknown>;
  }
  export class Group {
    readonly attrs: Record<string, unknown>;
    readonly keys: string[];
    get(path: string): Group | Dataset;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
}
