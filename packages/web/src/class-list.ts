import { ClassCard, type ClassCardHost } from './class-card.js';

/** The classes' cards, in output order, and the names new classes get. */
export class ClassList {
  private cards: ClassCard[] = [];
  private nextNumber = 1;

  constructor(
    private readonly container: HTMLElement,
    private readonly host: ClassCardHost,
  ) {}

  get names(): string[] {
    return this.cards.map((c) => c.name);
  }

  get length(): number {
    return this.cards.length;
  }

  find(name: string): ClassCard | undefined {
    return this.cards.find((c) => c.name === name);
  }

  /** Adds a card (named `Class N` when no name is given) and returns its name. */
  add(name?: string): string {
    let label = name?.trim() || `Class ${this.nextNumber}`;
    while (!name && this.names.includes(label)) label = `Class ${++this.nextNumber}`;
    if (this.names.includes(label)) throw new Error(`there is already a class named '${label}'`);
    this.nextNumber++;
    const card = new ClassCard(label, this.host);
    this.container.append(card.element);
    this.cards.push(card);
    return label;
  }

  /** Replaces every card with empty ones named `names` (a loaded model's classes). */
  replace(names: readonly string[]): void {
    for (const card of this.cards) card.element.remove();
    this.cards = [];
    for (const name of names) this.add(name);
  }

  remove(card: ClassCard): void {
    this.cards = this.cards.filter((c) => c !== card);
    card.element.remove();
  }

  /** The names of classes without examples, quoted. */
  empty(): string[] {
    return this.cards.filter((c) => c.count === 0).map((c) => `'${c.name}'`);
  }

  /** At least two classes, each with examples. */
  get trainable(): boolean {
    return this.cards.length >= 2 && this.cards.every((c) => c.count > 0);
  }

  /** Forgets the examples shown on every card. */
  clear(): void {
    for (const card of this.cards) card.clear();
  }
}
