/** Reading an upstream's resources, resource templates and prompts, every page of them. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Prompt, Resource, ResourceTemplate, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { EMPTY_LISTING, type UpstreamListing } from './listings.js';

/**
 * Every page of the resources, templates and prompts the upstream offers (by its capabilities).
 * A list it cannot give is empty and reported through `report`; never throws.
 */
export async function readListing(
  client: Client,
  capabilities: ServerCapabilities,
  timeout: number,
  report: (what: string, e: unknown) => void,
): Promise<UpstreamListing> {
  const pages = async <T>(what: string, fetch: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>): Promise<T[]> => {
    const all: T[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    try {
      do {
        const page = await fetch(cursor);
        all.push(...page.items);
        cursor = page.nextCursor;
        // A server that hands out the same cursor twice would loop forever.
        if (cursor !== undefined && seen.has(cursor)) break;
        if (cursor !== undefined) seen.add(cursor);
      } while (cursor !== undefined);
    } catch (e) {
      report(what, e);
      return [];
    }
    return all;
  };
  const params = (cursor: string | undefined) => (cursor === undefined ? {} : { cursor });
  const resources: Resource[] = capabilities.resources
    ? await pages('resources', async (c) => {
        const r = await client.listResources(params(c), { timeout });
        return { items: r.resources, nextCursor: r.nextCursor };
      })
    : [];
  const templates: ResourceTemplate[] = capabilities.resources
    ? await pages('resource templates', async (c) => {
        const r = await client.listResourceTemplates(params(c), { timeout });
        return { items: r.resourceTemplates, nextCursor: r.nextCursor };
      })
    : [];
  const prompts: Prompt[] = capabilities.prompts
    ? await pages('prompts', async (c) => {
        const r = await client.listPrompts(params(c), { timeout });
        return { items: r.prompts, nextCursor: r.nextCursor };
      })
    : [];
  if (resources.length + templates.length + prompts.length === 0) return EMPTY_LISTING;
  return { resources, templates, prompts };
}

/** True when two listings show the same resources and templates. */
export function sameResources(a: UpstreamListing | undefined, b: UpstreamListing | undefined): boolean {
  return JSON.stringify([a?.resources ?? [], a?.templates ?? []]) === JSON.stringify([b?.resources ?? [], b?.templates ?? []]);
}

/** True when two listings show the same prompts. */
export function samePrompts(a: UpstreamListing | undefined, b: UpstreamListing | undefined): boolean {
  return JSON.stringify(a?.prompts ?? []) === JSON.stringify(b?.prompts ?? []);
}
