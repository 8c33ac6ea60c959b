/* table_cmd.h — `floe table SUBCOMMAND`. */
#ifndef FLOE_TABLE_CMD_H
#define FLOE_TABLE_CMD_H

#include "config.h"

/* floe_table_cmd(sub, cfg): runs `floe table sub` (create, show, snapshots) for cfg's table.
 * Returns the exit status: 0, 1 on failure, 2 for an unknown subcommand. */
int floe_table_cmd(const char *sub, const struct floe_config *cfg);

#endif
