// Types of scripts/check-layers.mjs, for its unit test (the project does not type-check JavaScript).
export declare const MODEL_DIR: string;
export declare const MODEL_RULE: string;
export declare const CYCLE_ROOTS: string[];

export interface ImportSpecifier {
  specifier: string;
  line: number;
}

export interface ModelViolation {
  file: string;
  line: number;
  specifier: string;
  target: string;
}

export declare function findCycles(root: string, roots?: string[]): Promise<{ cycles: string[][]; skipped: string[] }>;
export declare function importSpecifiers(source: string, fileName?: string): ImportSpecifier[];
export declare function projectTarget(root: string, fromFile: string, specifier: string): string | null;
export declare function findModelViolations(root: string, modelDir?: string): ModelViolation[];
export declare function formatCycles(cycles: string[][]): string;
export declare function formatModelViolations(violations: ModelViolation[], modelDir?: string): string;
export declare function checkLayers(
  root: string,
  options?: { roots?: string[]; modelDir?: string },
): Promise<{ ok: boolean; cycles: string[][]; skipped: string[]; violations: ModelViolation[] }>;
