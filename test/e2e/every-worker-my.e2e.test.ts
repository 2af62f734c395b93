import { describeNewUser } from './new-user.js';

describeNewUser('my');
