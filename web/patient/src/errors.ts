/** A failure the page explains to the patient: `code` picks the words (see i18n.ts). */
export class PatientError extends Error {
  readonly code: string;
  readonly detail: string;

  constructor(code: string, detail = "") {
    super(detail === "" ? code : `${code}: ${detail}`);
    this.code = code;
    this.detail = detail;
  }
}

/** Any thrown value as a PatientError (unknown failures keep their text as the detail). */
export function asPatientError(error: unknown): PatientError {
  if (error instanceof PatientError) return error;
  return new PatientError("unexpected", error instanceof Error ? error.message : String(error));
}
