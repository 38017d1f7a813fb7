/** The command-line side of the filter language: `--filter EXPR` parsed once, a bad expression a usage error. */
import { InvalidArgumentError } from 'commander';
import { FilterError, type FlowFilter, parseFilter } from '../filter/filter.js';

/** Commander's parser for `--filter`: the compiled filter, or a usage error that says what is wrong and where. */
export function filterOption(text: string): FlowFilter {
  try {
    return parseFilter(text);
  } catch (e) {
    if (e instanceof FilterError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}
