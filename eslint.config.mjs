import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';

const frameworkImports = {
  patterns: [
    { group: ['next', 'next/*'], message: 'lib/ is the framework-free core: no Next.js here (put it in app/).' },
    { group: ['react', 'react/*', 'react-dom', 'react-dom/*'], message: 'lib/ is the framework-free core: no React here (put it in components/).' },
    { group: ['@monaco-editor/*', 'monaco-editor', 'monaco-editor/*', 'recharts'], message: 'lib/ is the framework-free core: no client libraries here.' },
  ],
};

const config = [
  { ignores: ['node_modules/**', '.next/**', 'dist/**', 'data/**', 'db/migrations/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts'] },
  ...nextVitals,
  ...nextTypescript,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', frameworkImports] },
  },
  {
    files: ['scripts/**/*.mjs', 'e2e/**/*.ts'],
    rules: { '@next/next/no-assign-module-variable': 'off' },
  },
];

export default config;
