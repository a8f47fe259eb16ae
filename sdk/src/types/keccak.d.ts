/** The `keccak` package (native binding of the Keccak team's code, with a JavaScript fallback); it ships no types. */
declare module "keccak" {
  interface Keccak {
    update(data: Buffer | string, encoding?: BufferEncoding): Keccak;
    digest(): Buffer;
  }
  function createKeccak(algorithm: "keccak224" | "keccak256" | "keccak384" | "keccak512"): Keccak;
  export = createKeccak;
}
