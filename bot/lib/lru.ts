/**
 * A small bounded cache that keeps what was used recently: entries live in two generations,
 * the current one and the one before it. Reading an entry of the current generation costs
 * no write (an exact LRU moves it on every read, which showed in the API's profile); one of
 * the previous generation moves to the current one. When the current generation is full it
 * becomes the previous one and the old previous one goes, so at most `capacity` entries are
 * kept, and an entry goes only after at least half of `capacity` others were used since.
 */
export class LruCache<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly generation: number;

  constructor(capacity: number) {
    this.generation = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    const value = this.current.get(key);
    if (value !== undefined) return value;
    const older = this.previous.get(key);
    if (older === undefined) return undefined;
    this.previous.delete(key);
    this.keep(key, older);
    return older;
  }

  set(key: K, value: V): void {
    if (this.current.has(key)) {
      this.current.set(key, value);
      return;
    }
    this.previous.delete(key);
    this.keep(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }

  private keep(key: K, value: V): void {
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }
}
