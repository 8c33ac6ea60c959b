/* s3_cmd.h — the `floe s3` command (s3_cmd.c). */
#ifndef FLOE_S3_CMD_H
#define FLOE_S3_CMD_H

/* floe_s3_cmd_main(argc, argv): runs `floe s3` with argv[0] = "s3". Returns the exit status:
 * 0 ok, 1 failure, 2 usage, 3 precondition failed. */
int floe_s3_cmd_main(int argc, char **argv);

/* The usage text of `floe s3 --help`. */
extern const char floe_s3_cmd_usage[];

#endif
