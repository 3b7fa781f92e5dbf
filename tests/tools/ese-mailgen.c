/*
 * ese-mailgen - make a mail store (docs/mailstore.md) by simulating its life.
 *
 *   ese-mailgen OUT.edb [--size BYTES | --messages N] [--seed S] [--page-size P]
 *                       [--replace] [--no-delete] [--purge PCT] [--damage KIND]
 *
 * Six tables modelled on an Exchange private store (priv1.edb): Mailbox,
 * Folder, Message, MessageFolder, Attachment, AttachmentMessage.  The store
 * is simulated from the seed: mailboxes with their default and nested user
 * folders; messages delivered to one or several mailboxes of the store
 * (single-instance storage: one Message row, one MessageFolder link per
 * folder holding it), sometimes carrying attachments that later forwards
 * share; then each copy is read, moved, copied, deleted to Deleted Items or
 * hard-deleted.  What is left at the end is what the file holds, and every
 * invariant of docs/mailstore.md holds - unless --damage asks for one
 * logically inconsistent row (physically the file stays valid: eseutil /g
 * finds nothing; isinteg is meant to).  Deleted rows are left out, or a
 * share of them is inserted and then deleted in place after commit
 * (ese_delete.h), so the file has the free space of a store that has lived.
 *
 * Streaming: each message's whole life is decided when it is delivered, so
 * its rows are inserted at once; the only state kept is per folder and
 * mailbox (a bounded number of them) and a small window of attachments
 * still to be forwarded.  Memory does not grow with --size; the creator
 * sorts in bounded memory and spills to $TMPDIR.
 *
 * Deterministic: integer arithmetic only (no libm), one PRNG stream from the
 * seed, the writer seeded with it too: the same arguments give the same bytes.
 *
 * Exit: 0 made, 8 operational error (or no row to damage), 16 usage.
 */
#include "ese_create.h"
#include "ese_delete.h"
#include "ese_key.h"
#include "ese_lv.h"
#include "ese_writer.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EXIT_OK 0
#define EXIT_OPERATIONAL 8
#define EXIT_USAGE 16

static const char usage_text[] =
	"usage: ese-mailgen OUT.edb [--size BYTES | --messages N] [--seed S] [--page-size P]\n"
	"                   [--replace] [--no-delete] [--purge PCT] [--damage KIND]\n"
	"  --size BYTES     aim for a file of about BYTES (suffix K, M, G)\n"
	"  --messages N     deliver until N messages remain (default 500)\n"
	"  --seed S         simulation and database seed (default 1)\n"
	"  --page-size P    2048 .. 32768 (default 4096, as Exchange 2003)\n"
	"  --replace        replace OUT.edb if it exists\n"
	"  --no-delete      leave deleted rows out instead of deleting a share in place\n"
	"  --purge PCT      a retention purge: PCT% of the messages that would be kept\n"
	"                   (0..90) are deleted everywhere, in place, after commit: the\n"
	"                   file keeps their pages as free space (default 0)\n"
	"  --damage KIND    make one row logically wrong; KIND is one of\n"
	"                   wrong-folder-counts wrong-mailbox-totals wrong-message-refcount\n"
	"                   wrong-attachment-refcount orphan-message dangling-link\n"
	"  --help           this text\n"
	"See docs/mailstore.md for the schema, its invariants and the damage kinds.\n";

/* ---- the schema (docs/mailstore.md) ------------------------------------- */

enum { T_MAILBOX, T_FOLDER, T_MESSAGE, T_MSGFOLDER, T_ATTACHMENT, T_ATTMSG, NTABLES };

enum { MB_ID, MB_GUID, MB_NAME, MB_OWNER, MB_QUOTA, MB_COUNT, MB_SIZE, MB_CREATED, MB_LOGON };
static const ese_create_column mailbox_cols[] = {
	{ "MailboxId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "MailboxGuid", JET_coltypGUID, 0, ESE_COL_NOT_NULL, 0 },
	{ "DisplayName", JET_coltypText, 64, ESE_COL_NOT_NULL, 1252 },
	{ "Owner", JET_coltypText, 128, ESE_COL_NOT_NULL, 1252 },
	{ "QuotaBytes", JET_coltypLongLong, 0, 0, 0 },
	{ "MessageCount", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "TotalSize", JET_coltypLongLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "Created", JET_coltypDateTime, 0, ESE_COL_NOT_NULL, 0 },
	{ "LastLogon", JET_coltypDateTime, 0, 0, 0 },
};
static const ese_create_index mailbox_ix[] = {
	{ "PrimaryKey", "+MailboxId", ESE_IDX_PRIMARY },
	{ "ByOwner", "+Owner", ESE_IDX_UNIQUE },
};

enum { FO_ID, FO_MAILBOX, FO_PARENT, FO_TYPE, FO_NAME, FO_COUNT, FO_UNREAD, FO_SIZE, FO_CREATED };
static const ese_create_column folder_cols[] = {
	{ "FolderId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "MailboxId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "ParentFolderId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "FolderType", JET_coltypUnsignedByte, 0, ESE_COL_NOT_NULL, 0 },
	{ "DisplayName", JET_coltypText, 64, ESE_COL_NOT_NULL, 1252 },
	{ "MessageCount", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "UnreadCount", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "TotalSize", JET_coltypLongLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "Created", JET_coltypDateTime, 0, ESE_COL_NOT_NULL, 0 },
};
static const ese_create_index folder_ix[] = {
	{ "PrimaryKey", "+FolderId", ESE_IDX_PRIMARY },
	{ "ByParent", "+MailboxId+ParentFolderId+DisplayName", ESE_IDX_UNIQUE },
};

enum { MS_ID, MS_REFCOUNT, MS_RECEIVED, MS_SIZE, MS_FLAGS, MS_IMPORTANCE, MS_CLASS, MS_SENDER, MS_INETID,
       MS_SUBJECT, MS_BODY };
static const ese_create_column message_cols[] = {
	{ "MessageId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "RefCount", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "Received", JET_coltypDateTime, 0, ESE_COL_NOT_NULL, 0 },
	{ "Size", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "Flags", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "Importance", JET_coltypUnsignedByte, 0, ESE_COL_NOT_NULL, 0 },
	{ "MessageClass", JET_coltypText, 64, ESE_COL_NOT_NULL, 1252 },
	{ "Sender", JET_coltypText, 128, ESE_COL_NOT_NULL, 1252 },
	{ "InternetMessageId", JET_coltypText, 128, ESE_COL_NOT_NULL, 1252 },
	{ "Subject", JET_coltypText, 254, 0, 1200 },
	{ "Body", JET_coltypLongText, 0, 0, 1200 },
};
static const ese_create_index message_ix[] = {
	{ "PrimaryKey", "+MessageId", ESE_IDX_PRIMARY },
	{ "ByReceived", "+Received", 0 },
};

enum { MF_FOLDER, MF_MESSAGE, MF_READ, MF_ADDED };
static const ese_create_column msgfolder_cols[] = {
	{ "FolderId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "MessageId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "Read", JET_coltypBit, 0, ESE_COL_NOT_NULL, 0 },
	{ "Added", JET_coltypDateTime, 0, ESE_COL_NOT_NULL, 0 },
};
static const ese_create_index msgfolder_ix[] = {
	{ "PrimaryKey", "+FolderId+MessageId", ESE_IDX_PRIMARY },
	{ "ByMessage", "+MessageId", 0 },
};

enum { AT_ID, AT_REFCOUNT, AT_SIZE, AT_CRC, AT_MIME, AT_NAME, AT_DATA };
static const ese_create_column attachment_cols[] = {
	{ "AttachmentId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "RefCount", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "Size", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "DataCrc32", JET_coltypUnsignedLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "MimeType", JET_coltypText, 64, ESE_COL_NOT_NULL, 1252 },
	{ "FileName", JET_coltypText, 254, ESE_COL_NOT_NULL, 1200 },
	{ "Data", JET_coltypLongBinary, 0, 0, 0 },
};
static const ese_create_index attachment_ix[] = {
	{ "PrimaryKey", "+AttachmentId", ESE_IDX_PRIMARY },
};

enum { AM_ATTACHMENT, AM_MESSAGE, AM_NUM };
static const ese_create_column attmsg_cols[] = {
	{ "AttachmentId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "MessageId", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
	{ "AttachNum", JET_coltypUnsignedShort, 0, ESE_COL_NOT_NULL, 0 },
};
static const ese_create_index attmsg_ix[] = {
	{ "PrimaryKey", "+AttachmentId+MessageId", ESE_IDX_PRIMARY },
	{ "ByMessage", "+MessageId", 0 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
static const ese_create_table schema[NTABLES] = {
	{ "Mailbox", mailbox_cols, NELEM(mailbox_cols), mailbox_ix, NELEM(mailbox_ix), 0, 0 },
	{ "Folder", folder_cols, NELEM(folder_cols), folder_ix, NELEM(folder_ix), 0, 0 },
	{ "Message", message_cols, NELEM(message_cols), message_ix, NELEM(message_ix), 0, 0 },
	{ "MessageFolder", msgfolder_cols, NELEM(msgfolder_cols), msgfolder_ix, NELEM(msgfolder_ix), 0, 0 },
	{ "Attachment", attachment_cols, NELEM(attachment_cols), attachment_ix, NELEM(attachment_ix), 0, 0 },
	{ "AttachmentMessage", attmsg_cols, NELEM(attmsg_cols), attmsg_ix, NELEM(attmsg_ix), 0, 0 },
};

/* Folder.FolderType */
enum { FT_ROOT, FT_INBOX, FT_OUTBOX, FT_SENT, FT_DELETED, FT_DRAFTS, FT_CALENDAR, FT_CONTACTS, FT_USER };
static const char *const default_folders[] = {
	"Top of Information Store", "Inbox", "Outbox", "Sent Items", "Deleted Items", "Drafts", "Calendar", "Contacts",
};

/* Message.Flags (MAPI PR_MESSAGE_FLAGS bits) */
#define MSGFLAG_READ      0x01u
#define MSGFLAG_UNSENT    0x08u
#define MSGFLAG_HASATTACH 0x10u
#define MSGFLAG_FROMME    0x20u

#define BIT_TRUE  0xFFu   /* ESE stores a set Bit column as 0xFF */
#define BIT_FALSE 0x00u

/* ---- damage kinds --------------------------------------------------------- */

enum { D_NONE, D_FOLDER_COUNTS, D_MAILBOX_TOTALS, D_MESSAGE_REFCOUNT, D_ATTACHMENT_REFCOUNT, D_ORPHAN_MESSAGE,
       D_DANGLING_LINK };
static const char *const damage_names[] = {
	"", "wrong-folder-counts", "wrong-mailbox-totals", "wrong-message-refcount", "wrong-attachment-refcount",
	"orphan-message", "dangling-link",
};

/* ---- deterministic randomness (integers only) ------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rnext(struct rng *r)   /* splitmix64 */
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) */
static uint32_t rbelow(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

/* uniform in [lo, hi] */
static uint32_t rrange(struct rng *r, uint32_t lo, uint32_t hi)
{
	return hi <= lo ? lo : lo + rbelow(r, hi - lo + 1);
}

/* true with probability pct/100 */
static int rpct(struct rng *r, unsigned pct)
{
	return rbelow(r, 100) < pct;
}

/* Roughly log-uniform in [lo, hi]: a doubling band [lo*2^k, lo*2^(k+1))
 * chosen with weights falling by `skew` percent per band, then uniform
 * inside it. */
static uint32_t rlog(struct rng *r, uint32_t lo, uint32_t hi, unsigned skew)
{
	unsigned bands = 0;
	while (bands < 31 && ((uint64_t)lo << (bands + 1)) <= hi)
		bands++;
	unsigned k = 0;
	while (k < bands && rbelow(r, 100) >= skew)
		k++;
	uint64_t a = (uint64_t)lo << k, b = k == bands ? hi : ((uint64_t)lo << (k + 1)) - 1;
	if (b > hi)
		b = hi;
	return rrange(r, (uint32_t)a, (uint32_t)b);
}

/* OLE automation date (days since 1899-12-30) of a Unix time. */
static void put_datetime(uint8_t out[8], int64_t unix_secs)
{
	double d = 25569.0 + (double)unix_secs / 86400.0;
	uint64_t bits;
	memcpy(&bits, &d, 8);
	put_le64(out, bits);
}

static uint32_t crc_table[256];
static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}
static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--)
		c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

/* UTF-8 (BMP only) to UTF-16LE, at most cap bytes; returns bytes written. */
static size_t utf16(uint8_t *out, size_t cap, const char *s)
{
	size_t n = 0;
	const uint8_t *p = (const uint8_t *)s;
	while (*p && n + 2 <= cap) {
		uint32_t cp = *p++;
		if (cp >= 0xE0 && p[0] && p[1]) {
			cp = ((cp & 0x0F) << 12) | ((uint32_t)(p[0] & 0x3F) << 6) | (p[1] & 0x3F);
			p += 2;
		} else if (cp >= 0xC0 && p[0]) {
			cp = ((cp & 0x1F) << 6) | (p[0] & 0x3F);
			p += 1;
		}
		put_le16(out + n, (uint16_t)cp);
		n += 2;
	}
	return n;
}

/* ---- names and words ---------------------------------------------------------- */

static const char *const first_names[] = {
	"Aaron", "Alice", "Andrew", "Anna", "Ben", "Brian", "Carol", "Chris", "Claire", "Daniel",
	"David", "Diana", "Edward", "Elena", "Frank", "Grace", "Hannah", "Henry", "Irene", "Jack",
	"James", "Jane", "Jennifer", "John", "Julia", "Karen", "Kevin", "Laura", "Linda", "Mark",
	"Mary", "Michael", "Nancy", "Oliver", "Paul", "Peter", "Rachel", "Robert", "Sarah", "Thomas",
};
static const char *const last_names[] = {
	"Adams", "Baker", "Barnes", "Bell", "Brooks", "Brown", "Campbell", "Carter", "Clark", "Collins",
	"Cook", "Cooper", "Davis", "Edwards", "Evans", "Fisher", "Foster", "Garcia", "Gray", "Green",
	"Hall", "Harris", "Hughes", "Jackson", "Johnson", "Kelly", "King", "Lee", "Lewis", "Martin",
	"Miller", "Moore", "Morgan", "Murphy", "Nelson", "Parker", "Phillips", "Reed", "Roberts", "Scott",
	"Smith", "Stewart", "Taylor", "Turner", "Walker", "Ward", "Watson", "White", "Wilson", "Young",
};
#define NFIRST NELEM(first_names)
#define NLAST NELEM(last_names)
#define MAX_MAILBOXES 2000u        /* NFIRST * NLAST: every mailbox has its own name */

static const char *const user_folder_names[] = {
	"Projects", "Customers", "Receipts", "Newsletters", "Travel", "HR", "Archive 2003", "Team",
	"Budget", "Follow up", "Personal", "Vendors", "Reports", "Contoso", "Fabrikam", "Old", "Apollo",
	"Meetings", "Invoices", "Training",
};
#define MAX_USER_FOLDERS 7
#define FOLDERS_PER_MAILBOX (NELEM(default_folders) + MAX_USER_FOLDERS)

static const char *const ext_senders[] = {
	"newsletter@fabrikam.com", "orders@adventure-works.com", "j.doe@litwareinc.com",
	"support@northwindtraders.com", "noreply@tailspintoys.com", "m.weber@wingtiptoys.de",
	"hr@proseware.com", "events@woodgrovebank.com", "a.dupont@fourthcoffee.fr", "sales@lucernepublishing.com",
};

/* Subjects and body words: UTF-8, a few outside ASCII (the columns are
 * Unicode and not indexed). */
static const char *const topics[] = {
	"Q3 budget review", "Lunch on Friday?", "Meeting notes", "Weekly status report", "Server maintenance tonight",
	"Travel expenses", "Project Apollo kickoff", "Contract draft v2", "Team offsite agenda", "Your order has shipped",
	"Invoice 2004-0117", "Welcome aboard!", "Out of office", "Quarterly results", "Re-org announcement",
	"Holiday schedule", "Customer escalation", "Performance review", "Slides for Monday", "Printer on 3rd floor",
	"R\xc3\xa9union budget 2004", "Gr\xc3\xbc\xc3\x9f" "e aus Z\xc3\xbcrich", "Caf\xc3\xa9 order for Friday",
	"\xe5\x87\xba\xe5\xbc\xb5\xe5\xa0\xb1\xe5\x91\x8a (trip report)", "Price list \xe2\x82\xac 2004",
	"S\xc3\xa3o Paulo office", "Pi\xc3\xb1" "ata for the party", "Na\xc3\xaf" "ve question about VPN",
};
static const char *const words[] = {
	"the", "of", "and", "to", "a", "in", "for", "is", "on", "that", "by", "this", "with", "you", "it",
	"not", "or", "be", "are", "from", "at", "as", "your", "all", "have", "new", "more", "an", "was", "we",
	"will", "can", "about", "if", "my", "has", "but", "our", "one", "other", "do", "no", "they", "he",
	"up", "may", "what", "which", "their", "out", "use", "any", "there", "see", "only", "so", "his",
	"when", "here", "business", "who", "also", "now", "help", "get", "view", "first", "been", "would",
	"how", "were", "me", "some", "these", "like", "service", "than", "find", "price", "date", "back",
	"top", "people", "had", "list", "name", "just", "over", "state", "year", "day", "into", "email",
	"two", "health", "world", "next", "used", "work", "last", "most", "products", "music", "buy",
	"data", "make", "them", "should", "product", "system", "post", "her", "city", "add", "policy",
	"number", "such", "please", "available", "copyright", "support", "message", "after", "best",
	"software", "then", "good", "video", "well", "where", "info", "rights", "public", "books", "high",
	"school", "through", "each", "links", "she", "review", "years", "order", "very", "privacy", "book",
	"budget", "meeting", "schedule", "server", "exchange", "mailbox", "quarter", "customer", "project",
	"caf\xc3\xa9", "na\xc3\xafve", "M\xc3\xbcller", "Z\xc3\xbcrich", "\xe2\x82\xac", "\xc3\x85ngstr\xc3\xb6m",
	"r\xc3\xa9sum\xc3\xa9", "se\xc3\xb1or", "\xe6\x97\xa5\xe6\x9c\xac",
};

static uint32_t nascii_words;   /* words[0 .. n) are ASCII */
static int is_ascii(const char *s)
{
	while (*s)
		if ((unsigned char)*s++ >= 0x80)
			return 0;
	return 1;
}

static const struct mime {
	const char *type, *ext;
	const uint8_t *magic;
	size_t magic_len;
} mimes[] = {
	{ "application/pdf", ".pdf", (const uint8_t *)"%PDF-1.4\n", 9 },
	{ "application/msword", ".doc", (const uint8_t *)"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8 },
	{ "application/vnd.ms-excel", ".xls", (const uint8_t *)"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8 },
	{ "application/vnd.ms-powerpoint", ".ppt", (const uint8_t *)"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8 },
	{ "image/jpeg", ".jpg", (const uint8_t *)"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11 },
	{ "application/zip", ".zip", (const uint8_t *)"PK\x03\x04", 4 },
	{ "text/plain", ".txt", NULL, 0 },
};
static const char *const attachment_bases[] = {
	"Q3 budget", "minutes", "contract", "invoice", "presentation", "photo", "report", "schedule",
	"R\xc3\xa9sum\xc3\xa9", "Pr\xc3\xa4sentation", "price list", "floor plan", "agenda", "timesheet",
};

/* ---- generator state ------------------------------------------------------------ */

struct folder {
	uint32_t id, mailbox, parent;    /* ids; parent 0 for the root */
	uint8_t type;
	char name[40];
	uint32_t count, unread;          /* MessageFolder rows, those with Read false */
	uint64_t size;                   /* sum of their messages' Size */
	int64_t created;
};

struct mailbox {
	uint32_t id;
	char first[16], last[16], alias[40];
	uint32_t folder0, nfolders;      /* its folders: folders[folder0 .. +nfolders) */
	uint32_t user[MAX_USER_FOLDERS];
	uint32_t nuser;                  /* user folders (indexes into folders[]) */
	int64_t created;
};

#define WINDOW 8                    /* attachments still to be forwarded */
struct attachment {
	uint32_t id, size;
	uint32_t budget;                 /* forwards still to come */
	uint32_t refs;                   /* surviving messages linking it */
	uint32_t dead_links;             /* links inserted only to be deleted in place */
	uint8_t mime, base, variant;
	uint64_t data_seed;
	int used;
};

#define MAX_LINKS 32
struct link {
	uint32_t folder;                 /* index into folders[] */
	uint8_t read, alive;
	int64_t added;
};

struct gen {
	ese_creator *c;
	ese_status st;
	struct rng r;
	uint64_t seed;
	uint32_t ps;
	int damage;
	char damage_line[400];
	int damaged;

	struct mailbox *mb;
	uint32_t nmb;
	struct folder *fo;
	uint32_t nfo;

	struct attachment win[WINDOW];
	uint32_t next_att;
	uint32_t amax, bmax;             /* largest attachment, body */
	uint8_t *abuf;                   /* attachment data, amax bytes */
	uint8_t *bbuf;                   /* body text, bmax bytes */
	uint8_t *pool;                   /* UTF-16LE text bodies are cut from */
	size_t pool_len;

	int64_t clock;                   /* Unix seconds of the last delivery */
	uint32_t gap;                    /* mean seconds between deliveries */

	/* deleting in place (see deleted_row) */
	int inplace;                     /* 0: --no-delete */
	FILE *dellist;                   /* (table, key1, key2) of rows to delete after commit */
	uint32_t part_every, part_seen;  /* see pick_inplace */
	uint32_t gone_every, gone_seen;
	unsigned purge;                  /* --purge: percent of kept messages purged in place */
	uint64_t inplace_rows;

	/* what was made */
	uint64_t rows_message;            /* Message rows (an orphan included) */
	uint64_t messages, deleted_messages, links, att_rows, att_links, shared_att, deleted_att, multi_folder;
	uint64_t body_bytes, att_bytes;
	uint64_t est;                    /* estimated file bytes so far */
};

/* ---- inserts ---------------------------------------------------------------------- */

static int insert(struct gen *g, size_t table, const ese_create_value *v, size_t n)
{
	int err = ese_create_insert(g->c, table, v, n, &g->st);
	if (err)
		fprintf(stderr, "ese-mailgen: inserting into %s: %s\n", schema[table].name, g->st.msg);
	return err;
}

/*
 * Estimated bytes a row adds to the file: its record at the leaf fill factor
 * with node overhead, one entry per secondary index, and its separated long
 * values (ESE keeps values over 1024 bytes in the long-value tree in chunks
 * of ese_lv_chunk_size bytes: one a page up to 8 KiB pages, three on 16
 * and 32 KiB pages; the tail shares a page).
 */
static uint64_t est_row(struct gen *g, size_t record_bytes, size_t nindexes, size_t lv_bytes)
{
	uint64_t b = (uint64_t)(record_bytes + 12) * 100 / 88 + nindexes * 24;
	if (lv_bytes > 1024) {
		size_t chunk = ese_lv_chunk_size(NULL, g->ps);
		size_t per_page = (size_t)g->ps * 9 / 10 / (chunk + 16);
		if (per_page < 1)
			per_page = 1;
		b += (uint64_t)(lv_bytes / chunk) * g->ps / per_page + (lv_bytes % chunk + 24) * 100 / 78 + 24;
	} else {
		b += lv_bytes;
	}
	return b;
}

/*
 * Deleted rows.  The simulation deletes links (a copy moved or deleted),
 * messages (their last link gone) and attachments (their last message
 * gone).  A deleted row is either
 *  - never inserted: the file is then what a freshly defragmented store
 *    would hold; or
 *  - inserted as it was before its deletion and deleted in place after
 *    commit (include/ese_delete.h), leaving sparse leaves, emptied pages
 *    and freed long values behind, as in a store that has lived.
 * deleted_row is called for both, with the row's primary key; `inplace`
 * says the row was inserted and must now be deleted: its key goes to a
 * temporary list (12 bytes a row, on disk: memory stays bounded) that
 * delete_in_place replays once the file is committed.  Which rows go in
 * place: see pick_inplace.
 */
static int deleted_row(struct gen *g, size_t table, uint32_t key1, uint32_t key2, int inplace)
{
	if (table == T_MESSAGE)
		g->deleted_messages++;
	else if (table == T_ATTACHMENT)
		g->deleted_att++;
	if (!inplace)
		return 0;
	uint8_t rec[12];
	put_le32(rec, (uint32_t)table);
	put_le32(rec + 4, key1);
	put_le32(rec + 8, key2);
	if (fwrite(rec, 1, sizeof(rec), g->dellist) != sizeof(rec)) {
		fprintf(stderr, "ese-mailgen: writing the list of rows to delete: %s\n", strerror(errno));
		return 1;
	}
	g->inplace_rows++;
	return 0;
}

/*
 * Whether a message with something deleted is deleted in place: every
 * part_every-th message that lost some copies (its dead links), every
 * gone_every-th message deleted everywhere (the message, its links and
 * attachment links), spread over the whole store; every message a
 * retention purge (--purge) takes.
 */
static int pick_inplace(struct gen *g, int gone)
{
	if (!g->inplace)
		return 0;
	if (!gone)
		return g->part_seen++ % g->part_every == 0;
	return g->gone_seen++ % g->gone_every == 0;
}

/* An attachment's data: the file type's magic bytes, then noise (or
 * ASCII text for text/plain), all from its own seed. */
static void attachment_data(struct gen *g, const struct attachment *a)
{
	struct rng r = { a->data_seed };
	const struct mime *m = &mimes[a->mime];
	uint8_t *p = g->abuf;
	size_t n = a->size, i = 0;
	if (!m->magic) {
		while (i < n) {
			const char *w = words[rbelow(&r, nascii_words)];
			size_t wl = strlen(w);
			for (size_t k = 0; k < wl && i < n; k++)
				p[i++] = (uint8_t)w[k];
			if (i < n)
				p[i++] = rpct(&r, 8) ? '\n' : ' ';
		}
		return;
	}
	memcpy(p, m->magic, m->magic_len < n ? m->magic_len : n);
	for (i = m->magic_len; i + 8 <= n; i += 8)
		put_le64(p + i, rnext(&r));
	for (; i < n; i++)
		p[i] = (uint8_t)rnext(&r);
}

static size_t attachment_name(const struct attachment *a, uint8_t *out, size_t cap)
{
	char name[96];
	const struct mime *m = &mimes[a->mime];
	if (a->mime == 4)
		snprintf(name, sizeof(name), "IMG_%04u%s", 1000 + a->id % 9000, m->ext);
	else if (a->variant)
		snprintf(name, sizeof(name), "%s (%u)%s", attachment_bases[a->base], a->variant + 1u, m->ext);
	else
		snprintf(name, sizeof(name), "%s%s", attachment_bases[a->base], m->ext);
	return utf16(out, cap, name);
}

/* An attachment whose last forward has happened: its row goes in now,
 * with RefCount = the surviving messages that link it. */
static int close_attachment(struct gen *g, struct attachment *a)
{
	int err = 0;
	a->used = 0;
	/* no message holds it any more: deleted (in place if deleted messages'
	 * links to it were inserted) */
	int inplace = !a->refs && a->dead_links;
	if (!a->refs && !inplace)
		return deleted_row(g, T_ATTACHMENT, a->id, 0, 0);
	uint32_t refcount = inplace ? a->dead_links : a->refs;
	if (!inplace && g->damage == D_ATTACHMENT_REFCOUNT && !g->damaged && a->refs >= 2) {
		refcount = a->refs - 1;
		g->damaged = 1;
		snprintf(g->damage_line, sizeof(g->damage_line),
		         "wrong-attachment-refcount: Attachment %u RefCount %u, but %u AttachmentMessage rows name it",
		         a->id, refcount, a->refs);
	}
	attachment_data(g, a);
	uint8_t id[4], rc[4], size[4], crc[4], name[256];
	put_le32(id, a->id);
	put_le32(rc, refcount);
	put_le32(size, a->size);
	put_le32(crc, crc32_of(g->abuf, a->size));
	size_t nl = attachment_name(a, name, 254);
	const char *mt = mimes[a->mime].type;
	ese_create_value v[] = {
		{ AT_ID, id, 4 }, { AT_REFCOUNT, rc, 4 }, { AT_SIZE, size, 4 }, { AT_CRC, crc, 4 },
		{ AT_MIME, mt, strlen(mt) }, { AT_NAME, name, nl }, { AT_DATA, g->abuf, a->size },
	};
	if ((err = insert(g, T_ATTACHMENT, v, NELEM(v))))
		return err;
	if (inplace)
		return deleted_row(g, T_ATTACHMENT, a->id, 0, 1);
	g->att_rows++;
	g->att_bytes += a->size;
	if (a->refs > 1)
		g->shared_att++;
	return 0;
}

/* ---- the store's mailboxes and folders -------------------------------------------- */

static int has_sibling(const struct gen *g, const struct mailbox *m, uint32_t parent, const char *name)
{
	for (uint32_t i = m->folder0; i < g->nfo; i++)
		if (g->fo[i].parent == parent && !strcasecmp(g->fo[i].name, name))
			return 1;
	return 0;
}

static void make_mailboxes(struct gen *g)
{
	uint32_t next_folder = 1;
	for (uint32_t i = 0; i < g->nmb; i++) {
		struct mailbox *m = &g->mb[i];
		uint32_t p = (uint32_t)(((uint64_t)i * 7919 + g->seed) % (NFIRST * NLAST));   /* 7919: prime, so a permutation */
		m->id = i + 1;
		snprintf(m->first, sizeof(m->first), "%s", first_names[p % NFIRST]);
		snprintf(m->last, sizeof(m->last), "%s", last_names[p / NFIRST]);
		snprintf(m->alias, sizeof(m->alias), "%s.%s", m->first, m->last);
		for (char *c = m->alias; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		m->created = g->clock - (int64_t)rrange(&g->r, 30, 700) * 86400 - rbelow(&g->r, 86400);
		m->folder0 = g->nfo;
		for (uint32_t t = 0; t < NELEM(default_folders); t++) {
			struct folder *f = &g->fo[g->nfo++];
			f->id = next_folder++;
			f->mailbox = m->id;
			f->parent = t == FT_ROOT ? 0 : g->fo[m->folder0].id;
			f->type = (uint8_t)t;
			snprintf(f->name, sizeof(f->name), "%s", default_folders[t]);
			f->created = m->created + t;
		}
		uint32_t nuser = rbelow(&g->r, MAX_USER_FOLDERS + 1);
		for (uint32_t u = 0; u < nuser; u++) {
			uint32_t parent, depth = 0;
			unsigned pick = rbelow(&g->r, 100);
			if (pick < 60 || (pick >= 85 && !m->nuser))
				parent = g->fo[m->folder0 + FT_INBOX].id;
			else if (pick < 85)
				parent = g->fo[m->folder0].id;
			else {                  /* nested under an earlier user folder, at most 3 deep */
				struct folder *pf = &g->fo[m->user[rbelow(&g->r, m->nuser)]];
				parent = pf->id;
				/* folder id n is fo[n - 1]: ids are handed out in order */
				for (const struct folder *q = pf; q->type == FT_USER; q = &g->fo[q->parent - 1])
					depth++;
				if (depth >= 3)
					parent = g->fo[m->folder0 + FT_INBOX].id;
			}
			const char *name = user_folder_names[rbelow(&g->r, NELEM(user_folder_names))];
			if (has_sibling(g, m, parent, name))
				continue;
			struct folder *f = &g->fo[g->nfo];
			f->id = next_folder++;
			f->mailbox = m->id;
			f->parent = parent;
			f->type = FT_USER;
			snprintf(f->name, sizeof(f->name), "%s", name);
			f->created = m->created + rrange(&g->r, 60, 200 * 86400);
			m->user[m->nuser++] = g->nfo++;
		}
		m->nfolders = g->nfo - m->folder0;
	}
}

static void folder_tally(struct gen *g, const struct link *l, uint32_t size)
{
	struct folder *f = &g->fo[l->folder];
	f->count++;
	f->unread += !l->read;
	f->size += size;
}

/* Folder rows, then Mailbox rows (totals over the folders' true counts). */
static int write_folders_and_mailboxes(struct gen *g)
{
	int err = 0;
	for (uint32_t i = 0; i < g->nfo && !err; i++) {
		struct folder *f = &g->fo[i];
		uint32_t count = f->count, unread = f->unread;
		uint64_t size = f->size;
		if (g->damage == D_FOLDER_COUNTS && !g->damaged && f->count >= 2 && f->unread >= 1) {
			count = f->count + 1;
			unread = f->unread - 1;
			size = f->size + 4096;
			g->damaged = 1;
			snprintf(g->damage_line, sizeof(g->damage_line),
			         "wrong-folder-counts: Folder %u (%s, mailbox %u) MessageCount %u UnreadCount %u TotalSize "
			         "%" PRIu64 ", but its MessageFolder rows give %u, %u and %" PRIu64,
			         f->id, f->name, f->mailbox, count, unread, size, f->count, f->unread, f->size);
		}
		uint8_t id[4], mb[4], parent[4], type = f->type, c[4], u[4], s[8], created[8];
		put_le32(id, f->id);
		put_le32(mb, f->mailbox);
		put_le32(parent, f->parent);
		put_le32(c, count);
		put_le32(u, unread);
		put_le64(s, size);
		put_datetime(created, f->created);
		ese_create_value v[] = {
			{ FO_ID, id, 4 }, { FO_MAILBOX, mb, 4 }, { FO_PARENT, parent, 4 }, { FO_TYPE, &type, 1 },
			{ FO_NAME, f->name, strlen(f->name) }, { FO_COUNT, c, 4 }, { FO_UNREAD, u, 4 }, { FO_SIZE, s, 8 },
			{ FO_CREATED, created, 8 },
		};
		err = insert(g, T_FOLDER, v, NELEM(v));
	}
	for (uint32_t i = 0; i < g->nmb && !err; i++) {
		struct mailbox *m = &g->mb[i];
		uint32_t count = 0;
		uint64_t size = 0;
		for (uint32_t k = 0; k < m->nfolders; k++) {
			count += g->fo[m->folder0 + k].count;
			size += g->fo[m->folder0 + k].size;
		}
		uint32_t true_count = count;
		uint64_t true_size = size;
		if (g->damage == D_MAILBOX_TOTALS && !g->damaged && count >= 1) {
			count--;
			size += 65536;
			g->damaged = 1;
			snprintf(g->damage_line, sizeof(g->damage_line),
			         "wrong-mailbox-totals: Mailbox %u (%s) MessageCount %u TotalSize %" PRIu64
			         ", but its folders sum to %u and %" PRIu64,
			         m->id, m->alias, count, size, true_count, true_size);
		}
		uint8_t id[4], guid[16], quota[8], c[4], s[8], created[8], logon[8];
		char name[40], owner[128];
		put_le32(id, m->id);
		for (int k = 0; k < 16; k += 8)
			put_le64(guid + k, rnext(&g->r));
		guid[7] = (uint8_t)((guid[7] & 0x0F) | 0x40);   /* version 4 (Data3's high nibble) */
		guid[8] = (uint8_t)((guid[8] & 0x3F) | 0x80);
		static const uint32_t quotas_mb[] = { 250, 500, 1024, 2048 };
		int has_quota = !rpct(&g->r, 10);
		put_le64(quota, (uint64_t)quotas_mb[rbelow(&g->r, 4)] << 20);
		put_le32(c, count);
		put_le64(s, size);
		put_datetime(created, m->created);
		int has_logon = !rpct(&g->r, 5);
		put_datetime(logon, g->clock - rbelow(&g->r, 30 * 86400));
		snprintf(name, sizeof(name), "%s %s", m->first, m->last);
		int ol = snprintf(owner, sizeof(owner), "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=%s",
		                  m->alias);
		ese_create_value v[9];
		size_t n = 0;
		v[n++] = (ese_create_value){ MB_ID, id, 4 };
		v[n++] = (ese_create_value){ MB_GUID, guid, 16 };
		v[n++] = (ese_create_value){ MB_NAME, name, strlen(name) };
		v[n++] = (ese_create_value){ MB_OWNER, owner, (size_t)ol };
		if (has_quota)
			v[n++] = (ese_create_value){ MB_QUOTA, quota, 8 };
		v[n++] = (ese_create_value){ MB_COUNT, c, 4 };
		v[n++] = (ese_create_value){ MB_SIZE, s, 8 };
		v[n++] = (ese_create_value){ MB_CREATED, created, 8 };
		if (has_logon)
			v[n++] = (ese_create_value){ MB_LOGON, logon, 8 };
		err = insert(g, T_MAILBOX, v, n);
	}
	return err;
}

/* ---- messages ------------------------------------------------------------------------ */

/* Adds a link to folder fi unless the message is already there; returns it. */
static struct link *add_link(struct link *l, int *n, uint32_t fi, int read, int64_t added)
{
	for (int i = 0; i < *n; i++)
		if (l[i].folder == fi) {
			l[i].alive = 1;
			return &l[i];
		}
	if (*n == MAX_LINKS)
		return NULL;
	l[*n] = (struct link){ fi, (uint8_t)read, 1, added };
	return &l[(*n)++];
}

/* One mailbox's copy after delivery: read, moved, copied, deleted. */
static void live_copy(struct gen *g, const struct mailbox *m, struct link *l, int *n, int li, int64_t t)
{
	struct link *k = &l[li];
	int sent = g->fo[k->folder].type == FT_SENT;
	if (!sent && rpct(&g->r, 72))
		k->read = 1;
	unsigned fate = rbelow(&g->r, 100);
	int64_t later = t + rrange(&g->r, 60, 14 * 86400);
	if (sent) {
		if (fate < 10) {            /* cleaned out of Sent Items */
			k->alive = 0;
			if (fate < 6)
				add_link(l, n, m->folder0 + FT_DELETED, 1, later);
		}
		return;
	}
	if (fate < 20 && m->nuser) {        /* filed away */
		uint32_t to = m->user[rbelow(&g->r, m->nuser)];
		k->alive = 0;
		struct link *moved = add_link(l, n, to, k->read, later);
		if (moved && rpct(&g->r, 5)) {   /* ... and later deleted from there */
			moved->alive = 0;
			add_link(l, n, m->folder0 + FT_DELETED, 1, later + 86400);
		}
	} else if (fate < 25 && m->nuser) { /* copied to a user folder too */
		add_link(l, n, m->user[rbelow(&g->r, m->nuser)], k->read, later);
	} else if (fate < 40) {             /* deleted: to Deleted Items, maybe emptied from there */
		k->alive = 0;
		struct link *d = add_link(l, n, m->folder0 + FT_DELETED, rpct(&g->r, 85), later);
		if (d && rpct(&g->r, 50))
			d->alive = 0;
	} else if (fate < 45) {             /* shift-delete */
		k->alive = 0;
	}
}

/* Body: greeting, text cut from the pool, signature; len bytes of UTF-16LE. */
static void make_body(struct gen *g, uint8_t *out, size_t len, const char *to, const char *from)
{
	char head[80], tail[80];
	snprintf(head, sizeof(head), "Hi %s,\r\n\r\n", to);
	snprintf(tail, sizeof(tail), "\r\n\r\n-- \r\n%s\r\n", from);
	size_t hl = utf16(out, len, head);
	uint8_t tb[160];
	size_t tl = utf16(tb, sizeof(tb), tail);
	if (hl + tl > len)
		tl = 0;
	size_t mid = len - hl - tl;
	size_t off = 2 * (size_t)rbelow(&g->r, (uint32_t)((g->pool_len - mid) / 2));
	memcpy(out + hl, g->pool + off, mid);
	memcpy(out + hl + mid, tb, tl);
}

static uint32_t body_size(struct gen *g)
{
	unsigned p = rbelow(&g->r, 100);
	uint32_t n;
	if (p < 12)
		n = rrange(&g->r, 200, 1023);            /* short: kept in the record */
	else if (p < 95)
		n = rrange(&g->r, 1024, 8191);           /* most: 1-8 KiB, separated */
	else
		n = rlog(&g->r, 20 << 10, g->bmax, 45);  /* long: 20-200 KiB */
	return n & ~1u;
}

static struct attachment *new_attachment(struct gen *g)
{
	struct attachment *a = NULL;
	for (int i = 0; i < WINDOW; i++)
		if (!g->win[i].used) {
			a = &g->win[i];
			break;
		}
	if (!a) {
		/* the window is full: the oldest gets no more forwards */
		a = &g->win[0];
		for (int i = 1; i < WINDOW; i++)
			if (g->win[i].id < a->id)
				a = &g->win[i];
		if (close_attachment(g, a))
			return NULL;
	}
	memset(a, 0, sizeof(*a));
	a->used = 1;
	a->id = ++g->next_att;
	a->size = rlog(&g->r, 10 << 10, g->amax, 30);
	a->mime = (uint8_t)rbelow(&g->r, NELEM(mimes));
	a->base = (uint8_t)rbelow(&g->r, NELEM(attachment_bases));
	a->variant = (uint8_t)(rpct(&g->r, 20) ? rrange(&g->r, 1, 3) : 0);
	a->data_seed = rnext(&g->r);
	a->budget = rpct(&g->r, 25) ? rrange(&g->r, 1, 3) : 0;
	g->est += est_row(g, 60, 0, a->size);
	return a;
}

/* Delivers message id: its whole life, then its rows. */
static int deliver(struct gen *g, uint32_t id)
{
	struct link l[MAX_LINKS];
	int n = 0, err = 0;
	g->clock += 1 + rbelow(&g->r, 2 * g->gap);
	int64_t t = g->clock;

	/* who sends it, who gets it */
	const struct mailbox *from = rpct(&g->r, 40) ? &g->mb[rbelow(&g->r, g->nmb)] : NULL;
	char sender[128], fromname[40];
	if (from) {
		snprintf(sender, sizeof(sender), "%s@contoso.com", from->alias);
		snprintf(fromname, sizeof(fromname), "%s", from->first);
	} else {
		snprintf(sender, sizeof(sender), "%s", ext_senders[rbelow(&g->r, NELEM(ext_senders))]);
		snprintf(fromname, sizeof(fromname), "%.*s", (int)strcspn(sender, "@."), sender);
	}
	int draft = from && rpct(&g->r, 4);
	unsigned p = rbelow(&g->r, 100);
	uint32_t nrcpt = draft ? 0 : p < 78 ? 1 : p < 94 ? rrange(&g->r, 2, 3) : rrange(&g->r, 4, 8);
	const char *greet = "all";
	if (draft)
		add_link(l, &n, from->folder0 + FT_DRAFTS, 1, t);
	else if (from)
		add_link(l, &n, from->folder0 + FT_SENT, 1, t);
	for (uint32_t k = 0; k < nrcpt && n < MAX_LINKS - 8; k++) {
		const struct mailbox *to = &g->mb[rbelow(&g->r, g->nmb)];
		if (to == from)
			continue;
		if (nrcpt == 1)
			greet = to->first;
		add_link(l, &n, to->folder0 + FT_INBOX, 0, t);
	}
	/* each copy's life (links added meanwhile live on their own) */
	for (int i = 0, n0 = n; i < n0; i++) {
		const struct folder *f = &g->fo[l[i].folder];
		if (f->type != FT_DRAFTS)
			live_copy(g, &g->mb[f->mailbox - 1], l, &n, i, t);
		else if (rpct(&g->r, 30))
			l[i].alive = 0;         /* draft discarded */
	}

	/* attachments: a forward shares those of an earlier message */
	struct attachment *att[3];
	int natt = 0, forward = 0;
	if (!draft && rpct(&g->r, 8)) {
		for (int i = 0; i < WINDOW && natt < 2; i++) {
			struct attachment *a = &g->win[(i + id) % WINDOW];
			if (a->used && a->budget) {
				a->budget--;
				att[natt++] = a;
				forward = 1;
			}
		}
	}
	if (!natt && rpct(&g->r, 10)) {
		int want = rpct(&g->r, 70) ? 1 : rpct(&g->r, 66) ? 2 : 3;
		for (int i = 0; i < want; i++) {
			if (!(att[natt] = new_attachment(g)))
				return 1;
			natt++;
		}
	}

	/* what is left of it */
	int nalive = 0, allread = 1;
	for (int i = 0; i < n; i++)
		if (l[i].alive) {
			nalive++;
			allread &= l[i].read;
		}
	int gone = !nalive;                 /* deleted everywhere */
	int purged = 0;
	if (g->purge && !gone && rbelow(&g->r, 100) < g->purge) {
		/* the retention purge takes it: every copy goes (drawn only with
		 * --purge, so that without it the store is as it always was) */
		for (int i = 0; i < n; i++)
			l[i].alive = 0;
		nalive = 0;
		gone = purged = 1;
	}
	uint32_t blen = body_size(g);
	uint32_t size = blen;
	for (int i = 0; i < natt; i++)
		size += att[i]->size;

	/* Every value is drawn whether the message is kept or not, so that
	 * dropping it, deleting it in place or damaging it leaves the rest of
	 * the store as it is: a damaged store differs from the healthy one of
	 * the same seed and arguments in the damaged row only. */
	uint32_t flags = (allread ? MSGFLAG_READ : 0) | (draft ? MSGFLAG_UNSENT : 0) | (natt ? MSGFLAG_HASATTACH : 0) |
	                 (from ? MSGFLAG_FROMME : 0);
	uint8_t importance = (uint8_t)(rpct(&g->r, 10) ? 2 : rpct(&g->r, 5) ? 0 : 1);
	unsigned meeting = rbelow(&g->r, 100) < 6;
	const char *cls = draft || !meeting ? "IPM.Note" : "IPM.Schedule.Meeting.Request";
	char inetid[128], subj8[200];
	int il = snprintf(inetid, sizeof(inetid), "<%08" PRIX32 ".%u@%s>", (uint32_t)rnext(&g->r), id,
	                  from ? "mail.contoso.com" : strchr(sender, '@') + 1);
	const char *topic = topics[rbelow(&g->r, NELEM(topics))];
	p = rbelow(&g->r, 100);
	snprintf(subj8, sizeof(subj8), "%s%s", forward ? "FW: " : p < 30 ? "RE: " : "", topic);
	uint8_t subject[256];
	size_t sl = utf16(subject, 254, subj8);
	make_body(g, g->bbuf, blen, greet, fromname);
	int inplace = purged ? g->inplace : nalive < n ? pick_inplace(g, gone) : 0;

	/* --damage orphan-message / dangling-link: a deleted message without
	 * attachments comes back half-deleted */
	int orphan = 0, dangling = -1;
	if (gone && !natt && n && !g->damaged && (g->damage == D_ORPHAN_MESSAGE || g->damage == D_DANGLING_LINK)) {
		g->damaged = 1;
		if (g->damage == D_ORPHAN_MESSAGE) {
			orphan = 1;
			snprintf(g->damage_line, sizeof(g->damage_line),
			         "orphan-message: Message %u RefCount %d, but no MessageFolder row names it", id, n);
		} else {
			dangling = n - 1;       /* the copy deleted last */
			snprintf(g->damage_line, sizeof(g->damage_line),
			         "dangling-link: MessageFolder (FolderId %u, MessageId %u), but Message %u does not exist",
			         g->fo[l[dangling].folder].id, id, id);
		}
	}

	/* the Message row: kept, or inserted to be deleted in place */
	uint8_t mid[4];
	put_le32(mid, id);
	if (!gone || inplace || orphan) {
		uint32_t refcount = (uint32_t)(gone ? n : nalive);
		if (g->damage == D_MESSAGE_REFCOUNT && !g->damaged && nalive >= 2) {
			g->damaged = 1;
			refcount = (uint32_t)nalive + 1;
			snprintf(g->damage_line, sizeof(g->damage_line),
			         "wrong-message-refcount: Message %u RefCount %u, but %d MessageFolder rows name it", id,
			         refcount, nalive);
		}
		uint8_t rc[4], recv[8], sz[4], fl[4];
		put_le32(rc, refcount);
		put_datetime(recv, t);
		put_le32(sz, size);
		put_le32(fl, flags);
		ese_create_value v[] = {
			{ MS_ID, mid, 4 }, { MS_REFCOUNT, rc, 4 }, { MS_RECEIVED, recv, 8 }, { MS_SIZE, sz, 4 },
			{ MS_FLAGS, fl, 4 }, { MS_IMPORTANCE, &importance, 1 }, { MS_CLASS, cls, strlen(cls) },
			{ MS_SENDER, sender, strlen(sender) }, { MS_INETID, inetid, (size_t)il }, { MS_SUBJECT, subject, sl },
			{ MS_BODY, g->bbuf, blen },
		};
		if ((err = insert(g, T_MESSAGE, v, NELEM(v))))
			return err;
		if (!gone || inplace)       /* as the healthy store would: --size stops at the same message */
			g->est += est_row(g, 60 + strlen(sender) + (size_t)il + sl + strlen(cls) + (blen > 1024 ? 8 : blen), 1,
			                  blen > 1024 ? blen : 0);
		if (!gone || orphan)
			g->rows_message++;
	}
	if (!gone) {
		g->messages++;
		g->body_bytes += blen;
		g->multi_folder += nalive > 1;
	}

	/* its links: the live ones; the deleted ones as they were, when in place */
	for (int i = 0; i < n; i++) {
		uint32_t fid = g->fo[l[i].folder].id;
		int keep = l[i].alive || i == dangling;
		if (!keep && !inplace) {
			if ((err = deleted_row(g, T_MSGFOLDER, fid, id, 0)))
				return err;
			continue;
		}
		uint8_t f4[4], rd = l[i].read ? BIT_TRUE : BIT_FALSE, added[8];
		put_le32(f4, fid);
		put_datetime(added, l[i].added);
		ese_create_value lv[] = { { MF_FOLDER, f4, 4 }, { MF_MESSAGE, mid, 4 }, { MF_READ, &rd, 1 },
		                          { MF_ADDED, added, 8 } };
		if ((err = insert(g, T_MSGFOLDER, lv, NELEM(lv))))
			return err;
		if (!keep) {
			g->est += est_row(g, 25, 1, 0);
			if ((err = deleted_row(g, T_MSGFOLDER, fid, id, 1)))
				return err;
			continue;
		}
		/* a dangling link is counted in its folder (it is a row there)
		 * but adds no size: it has no message */
		folder_tally(g, &l[i], i == dangling ? 0 : size);
		g->links++;
		if (i != dangling)
			g->est += est_row(g, 25, 1, 0);
	}
	for (int i = 0; i < natt; i++) {
		if (gone && !inplace) {
			if ((err = deleted_row(g, T_ATTMSG, att[i]->id, id, 0)))
				return err;
			continue;
		}
		uint8_t a4[4], num[2];
		put_le32(a4, att[i]->id);
		put_le16(num, (uint16_t)i);
		ese_create_value av[] = { { AM_ATTACHMENT, a4, 4 }, { AM_MESSAGE, mid, 4 }, { AM_NUM, num, 2 } };
		if ((err = insert(g, T_ATTMSG, av, NELEM(av))))
			return err;
		g->est += est_row(g, 16, 1, 0);
		if (gone) {
			att[i]->dead_links++;
			if ((err = deleted_row(g, T_ATTMSG, att[i]->id, id, 1)))
				return err;
			continue;
		}
		att[i]->refs++;
		g->att_links++;
	}
	if (gone && !orphan && (err = deleted_row(g, T_MESSAGE, id, 0, inplace)))
		return err;
	for (int i = 0; i < natt; i++)
		if (!att[i]->budget && att[i]->used && (err = close_attachment(g, att[i])))
			return err;
	return 0;
}

/* ---- the text pool --------------------------------------------------------------------- */

static int make_pool(struct gen *g, size_t len)
{
	g->pool = malloc(len);
	if (!g->pool)
		return -1;
	size_t n = 0;
	unsigned in_sentence = 0, sentences = 0;
	while (n + 64 < len) {
		const char *w = words[rbelow(&g->r, NELEM(words))];
		char buf[48];
		snprintf(buf, sizeof(buf), "%s", w);
		if (!in_sentence && buf[0] >= 'a' && buf[0] <= 'z')
			buf[0] = (char)(buf[0] - 'a' + 'A');
		n += utf16(g->pool + n, len - n, buf);
		if (++in_sentence >= rrange(&g->r, 6, 16)) {
			in_sentence = 0;
			n += utf16(g->pool + n, len - n, ++sentences % 5 ? ". " : ".\r\n\r\n");
		} else {
			n += utf16(g->pool + n, len - n, rpct(&g->r, 6) ? ", " : " ");
		}
	}
	g->pool_len = n;
	return 0;
}

/* ---- deleting in place ------------------------------------------------------------------ */

/* The normalised primary key of a row: one or two Long segments. */
static int row_key(size_t table, uint32_t k1, uint32_t k2, ese_keybuf *kb, ese_status *st)
{
	static ese_key_spec spec;
	ese_key_spec_init(&spec);
	const ese_keyseg seg = { JET_coltypLong, 0, 1, 0 };
	uint8_t v[4];
	int err = ese_keybuf_init(kb, &spec);
	put_le32(v, k1);
	if (!err)
		err = ese_key_append_segment(kb, &seg, v, 4, 0, st);
	put_le32(v, k2);
	if (!err && (table == T_MSGFOLDER || table == T_ATTMSG))
		err = ese_key_append_segment(kb, &seg, v, 4, 0, st);
	return err;
}

/* Replays the list deleted_row made against the committed file at path. */
static int delete_in_place(struct gen *g, const char *path)
{
	ese_deleter *d;
	ese_status st = { 0 };
	int err = ese_delete_open(path, 0, &d, &st);
	if (err) {
		fprintf(stderr, "ese-mailgen: %s: opening to delete in place: %s\n", path, st.msg);
		return err;
	}
	rewind(g->dellist);
	uint8_t rec[12];
	while (!err && fread(rec, 1, sizeof(rec), g->dellist) == sizeof(rec)) {
		size_t table = get_le32(rec);
		uint32_t k1 = get_le32(rec + 4), k2 = get_le32(rec + 8);
		ese_keybuf kb;
		if ((err = row_key(table, k1, k2, &kb, &st)) ||
		    (err = ese_delete_record(d, schema[table].name, kb.data, kb.len, &st)))
			fprintf(stderr, "ese-mailgen: %s: deleting %s row (%u, %u) in place: %s\n", path, schema[table].name,
			        k1, k2, st.msg);
	}
	if (!err && ferror(g->dellist)) {
		fprintf(stderr, "ese-mailgen: reading the list of rows to delete: %s\n", strerror(errno));
		err = JET_errDiskIO;
	}
	int cerr = ese_delete_close(d, &st);
	if (cerr && !err) {
		fprintf(stderr, "ese-mailgen: %s: finishing the deletes: %s\n", path, st.msg);
		err = cerr;
	}
	return err;
}

/* Renames tmp over out and makes the rename durable. */
static int instate(const char *tmp, const char *out)
{
	if (rename(tmp, out)) {
		fprintf(stderr, "ese-mailgen: renaming %s to %s: %s\n", tmp, out, strerror(errno));
		return -1;
	}
	char dir[4096];
	const char *slash = strrchr(out, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - out) + 1 : 1, slash ? out : ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* ---- main ---------------------------------------------------------------------------- */

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int usage(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	uint64_t size = 0, nmsg = 0, seed = 1;
	uint32_t ps = 4096;
	unsigned flags = 0;
	int damage = D_NONE, inplace = 1;
	unsigned purge = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--size") && v) {
			if (parse_size(v, &size) || !size)
				return fprintf(stderr, "ese-mailgen: --size '%s' is not a size\n", v), usage();
			i++;
		} else if (!strcmp(a, "--messages") && v) {
			nmsg = strtoull(v, &end, 0);
			if (*end || !nmsg || nmsg > 100000000)
				return fprintf(stderr, "ese-mailgen: --messages '%s' is not a count (1 .. 100000000)\n", v), usage();
			i++;
		} else if (!strcmp(a, "--seed") && v) {
			seed = strtoull(v, &end, 0);
			if (*end)
				return fprintf(stderr, "ese-mailgen: --seed '%s' is not a number\n", v), usage();
			i++;
		} else if (!strcmp(a, "--page-size") && v) {
			ps = (uint32_t)strtoul(v, &end, 0);
			if (*end || (ps != 2048 && ps != 4096 && ps != 8192 && ps != 16384 && ps != 32768))
				return fprintf(stderr, "ese-mailgen: --page-size '%s': 2048, 4096, 8192, 16384 or 32768\n", v),
				       usage();
			i++;
		} else if (!strcmp(a, "--replace")) {
			flags |= ESE_CREATE_REPLACE;
		} else if (!strcmp(a, "--no-delete")) {
			inplace = 0;
		} else if (!strcmp(a, "--purge") && v) {
			purge = (unsigned)strtoul(v, &end, 10);
			if (*end || purge > 90)
				return fprintf(stderr, "ese-mailgen: --purge '%s' is not a percentage (0 .. 90)\n", v), usage();
			i++;
		} else if (!strcmp(a, "--damage") && v) {
			for (int k = 1; k < (int)NELEM(damage_names); k++)
				if (!strcmp(v, damage_names[k]))
					damage = k;
			if (!damage)
				return fprintf(stderr, "ese-mailgen: --damage '%s' is not a kind\n", v), usage();
			i++;
		} else if (!out && a[0] != '-') {
			out = a;
		} else {
			fprintf(stderr, "ese-mailgen: unknown or incomplete option '%s'\n", a);
			return usage();
		}
	}
	if (!out)
		return usage();
	if (size && nmsg)
		return fprintf(stderr, "ese-mailgen: --size and --messages exclude each other\n"), usage();
	if (!size && !nmsg)
		nmsg = 500;
	if (!(flags & ESE_CREATE_REPLACE) && !access(out, F_OK)) {
		fprintf(stderr, "ese-mailgen: %s exists (use --replace)\n", out);
		return EXIT_OPERATIONAL;
	}
	/* made under a temporary name, deleted in place there, then renamed */
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.mailgen-tmp", out) >= sizeof(tmp))
		return fprintf(stderr, "ese-mailgen: %s: path too long\n", out), EXIT_USAGE;
	signal(SIGXFSZ, SIG_IGN);       /* a file-size limit becomes EFBIG, not a kill */
	crc_init();
	while (nascii_words < NELEM(words) && is_ascii(words[nascii_words]))
		nascii_words++;

	struct gen *g = calloc(1, sizeof(*g));
	if (!g)
		return fprintf(stderr, "ese-mailgen: out of memory\n"), EXIT_OPERATIONAL;
	g->seed = seed;
	g->r.s = seed ^ 0x6D61696C67656E31ULL;   /* "mailgen1" */
	g->ps = ps;
	g->damage = damage;
	g->inplace = inplace;
	int rc = EXIT_OPERATIONAL;
	if (inplace && !(g->dellist = tmpfile())) {
		fprintf(stderr, "ese-mailgen: a temporary file: %s\n", strerror(errno));
		goto free_gen;
	}
	g->clock = 1073260800 + 8 * 3600;        /* Monday 2004-01-05 08:00 UTC */

	/* Scale: about 24 KiB per message on average; a mailbox per 250
	 * messages (3 .. 2000).  A small --size also caps attachments and long
	 * bodies, so one value does not make up the file. */
	uint64_t want = nmsg ? nmsg : size / (24 << 10);
	g->nmb = want / 250 < 3 ? 3 : want / 250 > MAX_MAILBOXES ? MAX_MAILBOXES : (uint32_t)(want / 250);
	g->gap = (uint32_t)(86400 / (20 * (uint64_t)g->nmb)) + 1;   /* 20 messages a mailbox a day */
	g->amax = 2u << 20;
	g->bmax = 200u << 10;
	if (size) {
		uint64_t cap = size / 24;
		g->amax = cap < (64u << 10) ? (64u << 10) : cap > g->amax ? g->amax : (uint32_t)cap;
		g->bmax = cap < (32u << 10) ? (32u << 10) : cap > g->bmax ? g->bmax : (uint32_t)cap;
	}
	/* about 30% of messages lose a copy, 10% all of them: delete the
	 * dead links of about 2048 and about 64 whole messages in place,
	 * spread over the store */
	g->part_every = (uint32_t)(want * 3 / 10 / 2048) + 1;
	g->gone_every = (uint32_t)(want / 10 / 64) + 1;
	g->purge = purge;
	g->mb = calloc(g->nmb, sizeof(*g->mb));
	g->fo = calloc((size_t)g->nmb * FOLDERS_PER_MAILBOX, sizeof(*g->fo));
	g->abuf = malloc(g->amax);
	g->bbuf = malloc(g->bmax);
	if (!g->mb || !g->fo || !g->abuf || !g->bbuf || make_pool(g, (size_t)g->bmax + (256u << 10))) {
		fprintf(stderr, "ese-mailgen: out of memory\n");
		goto free_gen;
	}

	int err = ese_create_open(tmp, ps, ESE_CREATE_REPLACE, seed, schema, NTABLES, 0, &g->c, &g->st);
	if (err) {
		fprintf(stderr, "ese-mailgen: %s: %s\n", tmp, g->st.msg);
		goto free_gen;
	}
	make_mailboxes(g);
	/* fixed cost: the system tables and one small tree per object */
	g->est = (uint64_t)ps * 100 + (uint64_t)g->nfo * 110 + (uint64_t)g->nmb * 200;

	uint32_t id = 0;
	while (!err && (nmsg ? g->messages < nmsg : g->est < size)) {
		if (id == UINT32_MAX - 1) {
			fprintf(stderr, "ese-mailgen: out of message ids\n");
			err = 1;
			break;
		}
		err = deliver(g, ++id);
	}
	for (int i = 0; i < WINDOW && !err; i++)
		if (g->win[i].used)
			err = close_attachment(g, &g->win[i]);
	if (!err)
		err = write_folders_and_mailboxes(g);
	if (!err && damage && !g->damaged) {
		fprintf(stderr, "ese-mailgen: --damage %s: no row qualifies in a store this small (try more messages)\n",
		        damage_names[damage]);
		err = 1;
	}
	if (err) {
		ese_create_abort(g->c);
		goto free_gen;
	}
	if ((err = ese_create_commit(g->c, &g->st))) {
		fprintf(stderr, "ese-mailgen: %s: %s\n", tmp, g->st.msg);
		goto free_gen;
	}
	if ((g->inplace_rows && delete_in_place(g, tmp)) || instate(tmp, out)) {
		unlink(tmp);
		goto free_gen;
	}
	FILE *f = fopen(out, "rb");
	long long bytes = -1;
	if (f && !fseek(f, 0, SEEK_END))
		bytes = ftell(f);
	if (f)
		fclose(f);
	printf("%s: %lld bytes, %u-byte pages, seed %" PRIu64 ": %u mailboxes, %u folders, %" PRIu64
	       " messages (%" PRIu64 " in several folders, %" PRIu64 " deleted), %" PRIu64 " folder links, %" PRIu64
	       " attachments (%" PRIu64 " shared, %" PRIu64 " deleted), %" PRIu64 " attachment links; %" PRIu64
	       " rows deleted in place\n",
	       out, bytes, ps, seed, g->nmb, g->nfo, g->rows_message, g->multi_folder, g->deleted_messages, g->links,
	       g->att_rows, g->shared_att, g->deleted_att, g->att_links, g->inplace_rows);
	if (damage)
		printf("damage %s\n", g->damage_line);
	rc = EXIT_OK;
free_gen:
	if (g->dellist)
		fclose(g->dellist);
	free(g->mb);
	free(g->fo);
	free(g->abuf);
	free(g->bbuf);
	free(g->pool);
	free(g);
	return rc;
}
