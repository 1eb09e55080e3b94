import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { TerrariumError } from '../kube/errors';

/** A parsed manifest object; fields are filled in by render.ts. */
export type ManifestObject = Record<string, any> & { apiVersion: string; kind: string; metadata: Record<string, any> };

export type ManifestFile = 'namespace' | 'limitrange' | 'service' | 'networkpolicy' | 'statefulset' | 'rbac';

/**
 * manifests/ relative to this module: from src/core/devenv under tsx it is three levels up; from
 * dist/ (the esbuild bundles, also inside the .vsix) one level up.
 */
export function findManifestsDir(from: string = __dirname, exists: (p: string) => boolean = existsSync): string {
  const candidates = [resolve(from, '../../../manifests'), resolve(from, '../manifests')];
  const found = candidates.find((dir) => exists(join(dir, 'statefulset.yaml')));
  if (!found) {
    throw new TerrariumError('NotFound', `Terrarium's manifests folder was not found (looked in ${candidates.join(' and ')}).`,
      'The installation is incomplete: reinstall the extension, or run from a full checkout of the repository.');
  }
  return found;
}

const cache = new Map<string, ManifestObject[]>();

/** The objects of one manifest file, parsed once per process; callers get a deep copy to fill in. */
export function loadManifest(file: ManifestFile, dir?: string): ManifestObject[] {
  const base = dir ?? findManifestsDir();
  const path = join(base, `${file}.yaml`);
  let docs = cache.get(path);
  if (!docs) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new TerrariumError('NotFound', `The manifest ${file}.yaml is missing from ${base}.`, 'The installation is incomplete: reinstall the extension.', { cause: e });
    }
    docs = (loadAll(text) as unknown[]).filter((d): d is ManifestObject => !!d && typeof d === 'object');
    cache.set(path, docs);
  }
  return structuredClone(docs);
}

/**
 * Replaces `{{key}}` in every string of a parsed manifest. Values are substituted after parsing,
 * so they can never change the YAML's structure; they are validated before rendering anyway.
 */
export function substitute<T>(value: T, params: Record<string, string>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(/\{\{(\w+)\}\}/g, (m, key: string) => {
        const r = params[key];
        if (r === undefined) throw new Error(`Manifest placeholder ${m} has no value.`);
        return r;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [walk(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
