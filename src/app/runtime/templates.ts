/** `titan templates list|show`: the templates modular tasks can start from (`template_slug` / `template_id`). */
import { OperationalError } from '../../core/errors.js';
import { NotFoundError } from '../../io/api/errors.js';
import { renderJson, renderTemplateDetail, renderTemplatesTable } from '../../render/runtime.js';
import type { RuntimeContext } from './context.js';

export async function listTemplates(ctx: RuntimeContext): Promise<void> {
  const templates = await ctx.client.listTemplates();
  if (ctx.json) {
    ctx.stdout.write(renderJson(templates));
    return;
  }
  ctx.stdout.write(renderTemplatesTable(templates, { color: ctx.color }));
}

export async function showTemplate(ctx: RuntimeContext, idOrSlug: string): Promise<void> {
  let template;
  try {
    template = await ctx.client.getTemplate(idOrSlug);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new OperationalError(
        `No template "${idOrSlug}".`,
        `List the templates with: ${ctx.commandLine('templates list')}`,
      );
    }
    throw error;
  }
  if (ctx.json) {
    ctx.stdout.write(renderJson(template));
    return;
  }
  ctx.stdout.write(renderTemplateDetail(template, { color: ctx.color }));
}
