import { describeNewUser } from './new-user.js';

describeNewUser('ar');
