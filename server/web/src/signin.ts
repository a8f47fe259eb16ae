/**
 * Sign-In with Ethereum from the page: with a browser wallet (EIP-1193 `window.ethereum`, `personal_sign`), or with
 * a key the user gives here — an encrypted JSON keystore (with its password) or, for the demo, a raw private key.
 * The key signs the sign-in message in this page and is never sent anywhere.
 */
import { Wallet, getAddress, hexlify, toUtf8Bytes } from "ethers";
import { SiweMessage } from "siwe";
import type { Gateway, Principal } from "./gateway";

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export interface MessageSigner {
  address: string;
  signMessage(message: string): Promise<string>;
}

/** The browser wallet, if there is one. */
export function browserWallet(): Eip1193 | undefined {
  return (window as unknown as { ethereum?: Eip1193 }).ethereum;
}

export async function walletSigner(wallet: Eip1193): Promise<MessageSigner> {
  const accounts = (await wallet.request({ method: "eth_requestAccounts" })) as string[];
  if (accounts.length === 0) throw new Error("the wallet gave no account");
  const address = getAddress(accounts[0]!);
  return {
    address,
    signMessage: async (message) =>
      (await wallet.request({ method: "personal_sign", params: [hexlify(toUtf8Bytes(message)), address] })) as string,
  };
}

export class KeyFileError extends Error {
  constructor(readonly code: "KEY_UNREADABLE" | "KEY_INVALID") {
    super(code);
  }
}

/** A signer from an encrypted JSON keystore (ethers, Geth, MetaMask exports) and its password. */
export async function keystoreSigner(json: string, password: string): Promise<MessageSigner> {
  try {
    const wallet = await Wallet.fromEncryptedJson(json, password);
    return { address: wallet.address, signMessage: (m) => wallet.signMessage(m) };
  } catch {
    throw new KeyFileError("KEY_UNREADABLE");
  }
}

/** A signer from a raw private key (the demo's well-known keys). */
export function privateKeySigner(key: string): MessageSigner {
  const k = key.trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(k)) throw new KeyFileError("KEY_INVALID");
  const wallet = new Wallet(k.startsWith("0x") ? k : `0x${k}`);
  return { address: wallet.address, signMessage: (m) => wallet.signMessage(m) };
}

/** Asks the gateway for a nonce, signs the EIP-4361 message it must carry, and exchanges it for a session. */
export async function signIn(gateway: Gateway, signer: MessageSigner): Promise<Principal> {
  const n = await gateway.nonce();
  const message = new SiweMessage({
    domain: n.domain,
    address: getAddress(signer.address),
    statement: n.statement,
    uri: n.uri,
    version: n.version,
    chainId: n.chainId,
    nonce: n.nonce,
    issuedAt: new Date().toISOString(),
  }).prepareMessage();
  return gateway.signIn(message, await signer.signMessage(message));
}
