#ifndef TABLES_H
#define TABLES_H

/** @file
 *
 * Linker tables
 *
 * A table is an array whose entries are contributed by separate objects
 * and collected by the linker, so registering (say) a cache discarder
 * needs no registration code and stays visible to --gc-sections.
 *
 * Entries go into input sections named ".tbl.<table>.<order>"; the
 * firmware linker script keeps and sorts them.  The host linker does not
 * know that script, so on the host each table is a section named
 * "tbl_<table>" and GNU ld provides __start_/__stop_ symbols for it.
 */

#include "compiler.h"

#ifdef HOST_BUILD
#define __table_section(table, order) "tbl_" #table
#define __table_start(table) __start_tbl_##table
#define __table_end(table) __stop_tbl_##table
/* GNU ld defines __start_/__stop_ only for a section that exists: a host
 * program with no entry gets a weak NULL pair, i.e. an empty table */
#define __table_bound __attribute__((weak))
#else
#define __table_section(table, order) ".tbl." #table "." #order
#define __table_start(table) __tbl_start_##table
#define __table_end(table) __tbl_end_##table
#define __table_bound
#endif

/** Declare a table of entries of a given type */
#define TABLE_DECLARE(type, table)                                             \
	extern type __table_start(table)[] __table_bound;                      \
	extern type __table_end(table)[] __table_bound

/** Define one table entry (order: a decimal digit, lower runs first) */
#define __table_entry(table, order)                                            \
	__attribute__((used, aligned(sizeof(void *)),                         \
		       section(__table_section(table, order))))

/** Iterate over a table */
#define for_each_table_entry(pointer, table)                                   \
	for ((pointer) = __table_start(table);                                 \
	     (pointer) < __table_end(table); (pointer)++)

#endif /* TABLES_H */
