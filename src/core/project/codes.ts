/** Diagnostic codes of the project file (`titan.project.yaml`). A contract like the manifest codes: add, never rename. */
export const ProjectCode = {
  yaml: 'TITAN_PROJECT_YAML',
  type: 'TITAN_PROJECT_TYPE',
  required: 'TITAN_PROJECT_REQUIRED',
  unknownField: 'TITAN_PROJECT_UNKNOWN_FIELD',
  value: 'TITAN_PROJECT_VALUE',
  path: 'TITAN_PROJECT_PATH',
  duplicate: 'TITAN_PROJECT_DUPLICATE',
  noMatch: 'TITAN_PROJECT_NO_MATCH',
} as const;

export const PROJECT_CODE_MEANINGS: Readonly<Record<string, string>> = {
  [ProjectCode.yaml]: 'the project file is not readable YAML (syntax, duplicate key, several documents)',
  [ProjectCode.type]: 'a value of the project file has the wrong type',
  [ProjectCode.required]: 'a required field of the project file is missing',
  [ProjectCode.unknownField]: 'the project file has a field titan does not know (a typo?)',
  [ProjectCode.value]:
    'a value of the project file is not allowed (apiVersion, kind, a name, a variable name)',
  [ProjectCode.path]: 'a workspace path is absolute, leaves the project root, or is not a folder',
  [ProjectCode.duplicate]: 'two workspaces have the same name or the same folder',
  [ProjectCode.noMatch]: 'a workspace path or glob matches no folder',
};
