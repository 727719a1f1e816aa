// pnpm hooks. beforePacking: a packed (published) package.json keeps only what a consumer's
// install uses: no devDependencies (some are private workspace packages) and no scripts (they
// run repository tools by relative path).
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies;
      delete pkg.scripts;
      return pkg;
    },
  },
};
