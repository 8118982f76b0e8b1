// The patient's key, kept in this browser only: a standard encrypted keystore (Web3 Secret
// Storage v3: scrypt + AES-128-CTR + MAC, the format of `trustshare patient create`, geth and
// most wallets) in localStorage. It is decrypted into memory when the patient unlocks it and is
// never sent anywhere.
import {
  Wallet,
  decryptKeystoreJson,
  encryptKeystoreJson,
  getAddress,
  hexlify,
  isError,
  isHexString,
  isKeystoreJson,
  randomBytes,
} from "ethers";
import { PatientError } from "./errors";

const KEYSTORE_KEY = "trustshare.patient.keystore";
export const MIN_PASSWORD_LENGTH = 8;

/** The stored keystore and the address it holds the key of (no password needed), if any. */
export function storedKey(): { json: string; address: string } | null {
  const json = localStorage.getItem(KEYSTORE_KEY);
  if (json === null || !isKeystoreJson(json)) return null;
  const address = (JSON.parse(json) as { address: string }).address;
  return { json, address: getAddress(address.startsWith("0x") ? address : `0x${address}`) };
}

function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new PatientError("password_short");
}

async function keep(privateKey: string, password: string): Promise<Wallet> {
  const wallet = new Wallet(privateKey);
  const json = await encryptKeystoreJson(
    { address: wallet.address, privateKey: wallet.privateKey },
    password,
  );
  localStorage.setItem(KEYSTORE_KEY, json);
  return wallet;
}

/** Make a new key and keep it encrypted under `password`. */
export async function createKey(password: string, repeated: string): Promise<Wallet> {
  checkNewPassword(password);
  if (password !== repeated) throw new PatientError("password_mismatch");
  return keep(hexlify(randomBytes(32)), password);
}

/** Keep a key the patient has: a 0x private key (new `password`) or a keystore (its own). */
export async function importKey(text: string, password: string): Promise<Wallet> {
  const given = text.trim();
  if (isKeystoreJson(given)) {
    const account = await decrypt(given, password);
    return keep(account.privateKey, password);
  }
  const hex = given.startsWith("0x") ? given : `0x${given}`;
  if (!isHexString(hex, 32) || /^0x0+$/.test(hex)) throw new PatientError("bad_import");
  checkNewPassword(password);
  try {
    return await keep(hex, password);
  } catch {
    throw new PatientError("bad_import"); // beyond the curve's order
  }
}

/** The stored key, decrypted with `password`. */
export async function unlockKey(password: string): Promise<Wallet> {
  const stored = storedKey();
  if (stored === null) throw new PatientError("bad_import", "no key on this device");
  const account = await decrypt(stored.json, password);
  return new Wallet(account.privateKey);
}

async function decrypt(json: string, password: string): Promise<{ privateKey: string }> {
  try {
    return await decryptKeystoreJson(json, password);
  } catch (error) {
    if (isError(error, "INVALID_ARGUMENT") && error.argument === "password") {
      throw new PatientError("wrong_password");
    }
    throw new PatientError("bad_import", error instanceof Error ? error.message : String(error));
  }
}

/** Delete the key from this browser (the patient confirmed it). */
export function forgetKey(): void {
  localStorage.removeItem(KEYSTORE_KEY);
}

/** The encrypted keystore as a file to download. */
export function backupFile(): Blob {
  const stored = storedKey();
  return new Blob([stored === null ? "" : stored.json], { type: "application/json" });
}
