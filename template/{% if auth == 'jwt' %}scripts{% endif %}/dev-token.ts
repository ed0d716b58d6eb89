import { createPrivateKey, type KeyObject } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';

import type { Config } from '../src/config/config.js';

/** The private half of the development key pair lives beside the public one. */
const PRIVATE_KEY_NAME = 'private.pem';

/** A token cannot be minted for this configuration; the message says why and what to do. */
export class DevTokenRefused extends Error {
  override readonly name = 'DevTokenRefused';
}

export interface DevTokenOptions {
  /** How long the token is valid, in jose's notation (`'1h'`, `'30m'`). */
  readonly lifetime?: string;
  /** Where notes for the developer go; stdout carries only the token. */
  readonly note?: (line: string) => void;
}

/**
 * Signs a token that the service, started with the same configuration, accepts: issued by
 * JWT_ISSUER for JWT_AUDIENCE with the first of JWT_ALGORITHMS, and signed with the development
 * key pair whose public half JWT_PUBLIC_KEY_FILE names. The pair is created on first use.
 */
export async function mintDevelopmentToken(
  config: Config,
  { lifetime = '1h', note = () => undefined }: DevTokenOptions = {},
): Promise<string> {
  if (config.env === 'production') {
    throw new DevTokenRefused(
      'npm run token mints development tokens only, and NODE_ENV is production (its default): ' +
        'copy .env.example to .env, which sets NODE_ENV=development.',
    );
  }
  const { key, algorithms, issuer, audience } = config.jwt;
  if (!('publicKeyFile' in key)) {
    throw new DevTokenRefused(
      'npm run token signs with the development key pair named by JWT_PUBLIC_KEY_FILE, but the ' +
        'service is configured to verify tokens from JWT_JWKS_URL or JWT_PUBLIC_KEY: ask that ' +
        'issuer for a token, or set JWT_PUBLIC_KEY_FILE as .env.example does.',
    );
  }
  const [algorithm = 'RS256'] = algorithms;
  const privateKey = await developmentPrivateKey(key.publicKeyFile, algorithm, note);
  return new SignJWT({})
    .setProtectedHeader({ alg: algorithm })
    .setSubject('developer')
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(lifetime)
    .sign(privateKey);
}

async function developmentPrivateKey(
  publicKeyFile: string,
  algorithm: string,
  note: (line: string) => void,
): Promise<KeyObject> {
  const privateKeyFile = join(dirname(publicKeyFile), PRIVATE_KEY_NAME);
  if (await exists(privateKeyFile)) return createPrivateKey(await readFile(privateKeyFile, 'utf8'));
  if (await exists(publicKeyFile)) {
    throw new DevTokenRefused(
      `${publicKeyFile} has no development private key beside it (${PRIVATE_KEY_NAME}): ` +
        'npm run token signs only with a key pair it created itself.',
    );
  }
  const pair = await generateKeyPair(algorithm, { extractable: true });
  await mkdir(dirname(publicKeyFile), { recursive: true, mode: 0o700 });
  // 'wx' never overwrites: two runs at the same moment cannot leave halves of different pairs.
  const privateKeyPem = await exportPKCS8(pair.privateKey);
  await writeFile(privateKeyFile, privateKeyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(publicKeyFile, await exportSPKI(pair.publicKey), { flag: 'wx' });
  const shown = (path: string) => relative(process.cwd(), path);
  note(
    `Created a development ${algorithm} key pair: ${shown(privateKeyFile)} signs, ` +
      `${shown(publicKeyFile)} verifies (both git-ignored).`,
  );
  return createPrivateKey(privateKeyPem);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
