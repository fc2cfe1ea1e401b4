// Types of the globals core-js installs (sdk/runtime has no DOM lib).
declare class URL {
  constructor(url: string, base?: string | URL);
  href: string; origin: string; protocol: string; username: string; password: string; host: string; hostname: string; port: string;
  pathname: string; search: string; hash: string; readonly searchParams: URLSearchParams;
  toString(): string; toJSON(): string;
  static canParse(url: string, base?: string): boolean;
}
declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | Iterable<[string, string]>);
  append(name: string, value: string): void; delete(name: string): void; get(name: string): string | null; getAll(name: string): string[];
  has(name: string): boolean; set(name: string, value: string): void; sort(): void; toString(): string; readonly size: number;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}
