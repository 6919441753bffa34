import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/routing/', import.meta.url));
const shared = '/work/shared/data/';

export const FIXTURES = {
  plan6Cp1251Tab: `${dir}def-6col-cp1251-tab.csv`,
  plan7Cp1251: `${dir}def-7col-cp1251.csv`,
  plan8Utf8Bom: `${dir}def-8col-utf8-bom.csv`,
  portAllSmall: `${dir}port-all-small.csv`,
  sharedPlan: `${shared}DEF-9xx.sample.csv`,
  sharedPortAll: `${shared}Port_All.sample.csv`,
} as const;
