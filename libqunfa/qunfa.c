/* placeholder until the client library lands */
int qunfa__placeholder;
