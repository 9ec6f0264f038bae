// Logging from activity code: Temporal's activity logger (with the activity's context) inside an
// activity, the console when the same code runs outside one (preview, unit tests).
import { Context } from '@temporalio/activity';

type Attrs = Record<string, unknown>;

export interface ActivityLog {
  warn(message: string, attrs?: Attrs): void;
}

export function activityLog(): ActivityLog {
  try {
    return Context.current().log;
  } catch {
    return { warn: (message, attrs) => console.warn(message, attrs ?? '') };
  }
}
