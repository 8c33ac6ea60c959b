/* table_cmd.h — `floe table SUBCOMMAND`. */
#ifndef FLOE_TABLE_CMD_H
#define FLOE_TABLE_CMD_H

#include "config.h"

/* What `floe table delete` removes: keys from the command line and files of keys, one a line.
 * Views of argv. */
struct floe_table_keys {
    const char **keys;
    int nkeys;
    const char **files;
    int nfiles;
};

/* floe_table_cmd(sub, cfg, keys): runs `floe table sub` (create, show, snapshots, expire,
 * delete) for cfg's table; keys is used by delete only (may be NULL otherwise). Returns the
 * exit status: 0, 1 on failure, 2 for an unknown subcommand. */
int floe_table_cmd(const char *sub, const struct floe_config *cfg,
                   const struct floe_table_keys *keys);

#endif
