// Lint: typescript-eslint's recommended rules, prettier's formatting (as a
// check, `npm run format` writes it), and the module boundaries: scope:core
// depends on nothing of ours, a policy only on core (and the testkit in
// tests), engine on core, apps on anything. A policy importing another
// policy fails `nx lint`.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/vitest.config.ts'] },
  ...tseslint.configs.recommended.map((c) => ({ ...c, files: ['**/*.ts'] })),
  // Formatting is prettier's (npm run format); no lint rule argues with it.
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      // A leading underscore marks a parameter or binding kept for its position or to drop it from a rest.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // `const self = this` is how the testkit's conformance suites hand their state to nested callbacks.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:policy', onlyDependOnLibsWithTags: ['scope:core', 'scope:testkit'] },
            { sourceTag: 'scope:testkit', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:engine', onlyDependOnLibsWithTags: ['scope:core', 'scope:engine'] },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:core', 'scope:engine', 'scope:app', 'scope:testkit', 'scope:policy'] },
          ],
        },
      ],
    },
  },
];
