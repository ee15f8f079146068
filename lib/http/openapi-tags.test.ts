import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './openapi';

/** The OpenAPI document describes the tag metadata and removal operations from their own schemas. */
describe('OpenAPI: tags', () => {
  const document = buildOpenApiDocument('test') as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

  it('documents PUT /api/tags/{tag}/meta with its body, answer and errors', () => {
    const put = document.paths['/api/tags/{tag}/meta'].put;
    expect(put.operationId).toBe('setTagMeta');
    expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '409']));
    const body = document.components.schemas.TagMetaUpdate;
    expect(Object.keys(body.properties)).toEqual(['description', 'unit', 'lo', 'hi']);
    expect(body.additionalProperties).toBe(false);
    expect(Object.keys(document.components.schemas.TagMeta.properties)).toEqual(['tag', 'description', 'unit', 'lo', 'hi']);
  });

  it('documents DELETE /api/tags/{tag} and the metadata and removal check in the tag answers', () => {
    const remove = document.paths['/api/tags/{tag}'].delete;
    expect(remove.operationId).toBe('removeTag');
    expect(Object.keys(remove.responses)).toEqual(expect.arrayContaining(['204', '404', '409']));
    expect(Object.keys(document.components.schemas.Tag.properties)).toEqual(expect.arrayContaining(['description', 'unit', 'lo', 'hi']));
    expect(document.components.schemas.TagDetail.properties.removal).toBeDefined();
  });
});
