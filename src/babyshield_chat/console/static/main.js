// The console page: wires the playground and the rollout view.

import { initPlayground } from "./playground.js";
import { initRollout } from "./rollout.js";

initPlayground();
initRollout();
