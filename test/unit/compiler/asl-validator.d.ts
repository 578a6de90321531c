declare module 'asl-validator' {
  /** asl-validator 4: validates an ASL document (and writes `QueryLanguage` into it: pass a copy). */
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): { isValid: boolean; errors: unknown[]; errorsText: (separator?: string) => string };
}
