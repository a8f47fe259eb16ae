import { CID } from "multiformats/cid";
import { hexlify, getBytes } from "ethers";
import { CrossproofError } from "./errors";
import type { Hex } from "./eip712";

/** The binary form of a CID, as the contracts store it (`bytes`). */
export function cidToBytes(cid: string): Hex {
  try {
    return hexlify(CID.parse(cid).bytes) as Hex;
  } catch (cause) {
    throw new CrossproofError("INVALID_ARGUMENT", `not a CID: ${cid}`, { cause });
  }
}

/** The string form (base32 for CIDv1) of a binary CID read from the chain. */
export function cidFromBytes(bytes: string): string {
  try {
    return CID.decode(getBytes(bytes)).toString();
  } catch (cause) {
    throw new CrossproofError("INVALID_ARGUMENT", `not a binary CID: ${bytes}`, { cause });
  }
}
