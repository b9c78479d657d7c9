/**
 * The custom search attributes Folio's workflows keep current, so the Temporal Web UI and
 * `temporal workflow list --query` can filter runs by document, file, status, size and batch.
 * They must be registered on the server before a workflow sets them: the embedded dev server
 * registers them at start (`--search-attribute`); on a cluster, `temporal operator
 * search-attribute create` does (see README).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const FOLIO_DOC_ID = defineSearchAttributeKey('FolioDocId', SearchAttributeType.KEYWORD);
export const FOLIO_FILENAME = defineSearchAttributeKey('FolioFilename', SearchAttributeType.KEYWORD);
export const FOLIO_STATUS = defineSearchAttributeKey('FolioStatus', SearchAttributeType.KEYWORD);
export const FOLIO_PAGES = defineSearchAttributeKey('FolioPages', SearchAttributeType.INT);
export const FOLIO_BATCH_ID = defineSearchAttributeKey('FolioBatchId', SearchAttributeType.KEYWORD);

/** Every key with the type name the Temporal CLI takes (`--search-attribute Name=Type`). */
export const FOLIO_SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Int'> = {
  [FOLIO_DOC_ID.name]: 'Keyword',
  [FOLIO_FILENAME.name]: 'Keyword',
  [FOLIO_STATUS.name]: 'Keyword',
  [FOLIO_PAGES.name]: 'Int',
  [FOLIO_BATCH_ID.name]: 'Keyword',
};
