// Lint is here mainly for module boundaries: scope:core depends on nothing of
// ours, a policy only on core (and the testkit in tests), engine on core, apps
// on anything. A policy importing another policy fails `nx lint`.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/vitest.config.ts'] },
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
