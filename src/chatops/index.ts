export {
  PERMISSIONS,
  authorize,
  effectivePermission,
  isBotLogin,
  meetsPermission,
  permissionRank,
  requiredPermission,
  type ActorPermission,
  type AuthorizeInput,
  type AuthorizeResult,
  type CollaboratorPermission,
  type Permission,
} from "./authorize.js";
export { renderHelp, renderRefusal, renderUnknown, type HelpOptions, type RefusalInput } from "./help.js";
export { textLines, type TextLine } from "./markdown-lines.js";
export {
  DEFAULT_PREFIX,
  parseCommands,
  type ParseOptions,
  type ParseProblem,
  type ParseResult,
  type ParsedCommand,
} from "./parse.js";
export {
  CommandRegistry,
  appRegistry,
  defaultRegistry,
  type FlagSpec,
  type ValidatedCommand,
  type Validation,
  type VerbSpec,
} from "./registry.js";
export { closestWord } from "./suggest.js";
