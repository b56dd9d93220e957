/**
 * Every diagnostic code the manifest loader emits. Codes are a contract (CI scripts and tests branch on them);
 * the wording of messages is not. Add codes, never rename them.
 */
export const Code = {
  // Paths and files
  pathNotFound: 'TITAN_PATH_NOT_FOUND',
  noManifests: 'TITAN_NO_MANIFESTS',
  fileUnreadable: 'TITAN_FILE_UNREADABLE',
  fileTooLarge: 'TITAN_FILE_TOO_LARGE',
  fileEncoding: 'TITAN_FILE_ENCODING',
  // YAML
  yamlSyntax: 'TITAN_YAML_SYNTAX',
  duplicateKey: 'TITAN_DUPLICATE_KEY',
  yamlAlias: 'TITAN_YAML_ALIAS',
  yamlAliasLimit: 'TITAN_YAML_ALIAS_LIMIT',
  yamlTooDeep: 'TITAN_YAML_TOO_DEEP',
  yamlValueTooLarge: 'TITAN_YAML_VALUE_TOO_LARGE',
  yamlValue: 'TITAN_YAML_VALUE',
  yamlTag: 'TITAN_YAML_TAG',
  yamlWarning: 'TITAN_YAML_WARNING',
  // Schema (manifest.schema.json, task.schema.json)
  schemaType: 'TITAN_SCHEMA_TYPE',
  schemaRequired: 'TITAN_SCHEMA_REQUIRED',
  schemaUnknownField: 'TITAN_SCHEMA_UNKNOWN_FIELD',
  schemaEnum: 'TITAN_SCHEMA_ENUM',
  schemaPattern: 'TITAN_SCHEMA_PATTERN',
  schemaEmpty: 'TITAN_SCHEMA_EMPTY',
  schemaDuplicateItem: 'TITAN_SCHEMA_DUPLICATE_ITEM',
  schemaInvalid: 'TITAN_SCHEMA_INVALID',
  // ${env:…} interpolation
  envMissing: 'TITAN_ENV_MISSING',
  envSyntax: 'TITAN_ENV_SYNTAX',
  envNotAllowed: 'TITAN_ENV_NOT_ALLOWED',
  // Task rules beyond the schema
  cronInvalid: 'TITAN_CRON_INVALID',
  scheduleMissing: 'TITAN_SCHEDULE_MISSING',
  scheduleUnexpected: 'TITAN_SCHEDULE_UNEXPECTED',
  urlInvalid: 'TITAN_URL_INVALID',
  urlDuplicate: 'TITAN_URL_DUPLICATE',
  templateConflict: 'TITAN_TEMPLATE_CONFLICT',
  layoutConflict: 'TITAN_TASK_LAYOUT_CONFLICT',
  inputSourceInvalid: 'TITAN_INPUT_SOURCE_INVALID',
  outputSchemaInvalid: 'TITAN_OUTPUT_SCHEMA_INVALID',
  outputSchemaStrict: 'TITAN_OUTPUT_SCHEMA_STRICT',
  // $ref bundling
  refNotFound: 'TITAN_REF_NOT_FOUND',
  refOutsideWorkspace: 'TITAN_REF_OUTSIDE_WORKSPACE',
  refCycle: 'TITAN_REF_CYCLE',
  refInvalid: 'TITAN_REF_INVALID',
  refPointer: 'TITAN_REF_POINTER',
  refUnsupported: 'TITAN_REF_UNSUPPORTED',
  refLimit: 'TITAN_REF_LIMIT',
  // Across files
  taskKeyDuplicate: 'TITAN_TASK_KEY_DUPLICATE',
  previousNameConflict: 'TITAN_PREVIOUS_NAME_CONFLICT',
  // A bug in titan, reported as data so no input can produce a stack trace
  internal: 'TITAN_INTERNAL',
} as const;

export type Code = (typeof Code)[keyof typeof Code];
