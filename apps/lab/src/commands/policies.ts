/** `pagelab policies`: installed policies per axis, and the design presets with what they need. */
import { AXES } from '@pagelab/kernel-core';
import { KNOWN_POLICY_IDS, MODEL_PARAM_KEYS, PRESETS, type Registry } from '@pagelab/engine';
import { EXIT_OK, guarded, type LabContext } from '../context.js';
import { loadRegistry } from '../designs.js';

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function policiesText(registry: Registry): string {
  const out: string[] = ['Policies (one per axis makes a design):', ''];
  for (const axis of AXES) {
    out.push(`${axis}`);
    const installed = registry.byAxis(axis);
    for (const d of installed) {
      out.push(`  ${d.id} — ${d.title}`);
      out.push(`      models: ${d.models}`);
      const defaults = (d.defaults ?? {}) as Record<string, unknown>;
      for (const k of Object.keys(defaults)) {
        const doc = d.paramDocs?.[k];
        out.push(`      param ${k} (default ${show(defaults[k])})${doc ? `: ${doc}` : ''}`);
      }
    }
    const missing = KNOWN_POLICY_IDS[axis].filter((id) => !installed.some((d) => d.id === id));
    for (const id of missing) out.push(`  ${id} — NOT INSTALLED (a preset or the architecture names it; no plug-in package provides it yet)`);
    out.push('');
  }
  out.push('Design presets (use as --design NAME, or NAME:axis=policy,param.NAME=VALUE to change one):', '');
  for (const p of PRESETS) {
    const needs = AXES.filter((a) => !registry.get(a, p.policies[a].id));
    out.push(`  ${p.name}${needs.length ? '   [needs policies that are not installed]' : ''}`);
    out.push(`      ${p.description}`);
    for (const a of AXES) {
      const c = p.policies[a];
      const params = Object.keys(c.params).length
        ? `(${Object.entries(c.params)
            .map(([k, v]) => `${k}=${show(v)}`)
            .join(';')})`
        : '';
      out.push(`      ${a.padEnd(16)} ${c.id}${params}${registry.get(a, c.id) ? '' : '   NOT INSTALLED'}`);
    }
    out.push(`      params           ${MODEL_PARAM_KEYS.map((k) => `${k}=${show(p.params[k])}`).join(' ')}`);
    out.push('');
  }
  if (registry.problems.length) {
    out.push('Plug-in packages found but not loaded:');
    for (const pr of registry.problems) out.push(`  ${pr}`);
    out.push('');
  }
  return out.join('\n');
}

export function policiesCommand(ctx: LabContext): Promise<number> {
  return guarded(ctx, async () => {
    ctx.stdout(policiesText(await loadRegistry(ctx)));
    return EXIT_OK;
  });
}
