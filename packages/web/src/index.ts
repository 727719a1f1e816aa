/**
 * @graft/web — the `<graft-trainer>` web component.
 * @packageDocumentation
 */
export {};
