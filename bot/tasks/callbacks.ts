import { type TaskAction, taskButton } from "#bot/telegram/callback-data";

/** Task buttons, whose callback data lives with every other family's in one codec. */
export type { ListRef, TaskAction } from "#bot/telegram/callback-data";

export const encodeTaskAction = (action: TaskAction): string => taskButton.encode(action);

/** Parses callback data; anything malformed (old or forged buttons) is null. */
export const decodeTaskAction = (data: string): TaskAction | null => taskButton.decode(data);

export const TASK_CALLBACK = taskButton.match;

/** The /newtask form's buttons, also in the one codec. */
export {
  type FormButton,
  type FormStep,
  formButton,
  isNewTaskFormButton,
} from "#bot/telegram/callback-data";
