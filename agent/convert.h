/* convert.h — `floe convert`, newline-delimited JSON into one Parquet file. */
#ifndef FLOE_CONVERT_H
#define FLOE_CONVERT_H

/* floe_convert_main(argc, argv): runs the command (argv[0] is "convert"); returns the exit
 * status: 0 all lines converted, 2 some rejected, 1 fatal error or bad usage. */
int floe_convert_main(int argc, char **argv);

/* The command's usage text. */
extern const char floe_convert_usage[];

#endif
