/** Debian's chromium, which CI installs (.ci/run); never a browser downloaded by Playwright. */
export declare const CHROMIUM: string;
/** Whether it is installed; on CI its absence is an error, elsewhere browser tests say they skip. */
export declare const haveChromium: boolean;
/** The launch flags DEVELOPERS.md gives: headless, as root, and no network of Chromium's own. */
export declare const CHROMIUM_FLAGS: readonly string[];
/** The largest difference relative to the largest magnitude of the reference. */
export declare function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number;
/** The repository's BENCHMARKS.md. */
export declare const BENCHMARKS_FILE: string;
/** Prints `lines` between the `bench:<marker>` comments and puts them into BENCHMARKS.md in place of the last run's. */
export declare function writeBenchSection(marker: string, heading: string, lines: readonly string[]): void;
