// A module resolution hook: a model file kept where neither the package nor
// fast-check can be found (outside any project that installed them) gets
// them from the copy running it. Everything else resolves as usual.
const OWN = new Set(["kernel-race-harness", "kernel-race-harness/vitest", "fast-check"]);

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || !OWN.has(specifier)) throw err;
    return next(specifier, { ...context, parentURL: import.meta.url });
  }
}
