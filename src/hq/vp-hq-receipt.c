/* vp-hq-receipt.c: HQ's public receipt check (issue 12).
 *
 * A receipt is found by (van, seq), the journal's primary key, and only
 * counts as HQ's if the number HQ derives from the stored entry (van,
 * local day of device_time, seq — vp_journal_receipt_number) is the one
 * asked for and the code derived from its hash (vp_journal_verify_code)
 * matches. The answer carries status, amount and date; nothing else of
 * the entry (names, accounts, addresses, methods) ever leaves.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "vp-hq-db.h"
#include "vp-hq-receipt.h"
#include "vp-journal-entry.h"
#include "vp-money.h"
#include "vp-receipt-check.h"

void
vp_hq_receipt_answer_clear (VpHqReceiptAnswer *answer)
{
  g_clear_pointer (&answer->content_type, g_free);
  g_clear_pointer (&answer->body, g_free);
}

typedef struct
{
  const char *receipt;       /* canonical number, or the client's text if malformed */
  const char *status;        /* VP_RECEIPT_STATUS_*; NULL: a malformed request */
  const char *problem;       /* why the request is malformed */
  const char *error_code;    /* "bad_request" or "unavailable" */
  VpMoney     amount;
  gboolean    has_amount;
  char       *date;          /* "2026-11-23" */
  char       *voided_by;     /* the reversal's receipt number */
} Check;

/* Both languages on one line: the page is for residents and for the
 * utility's staff, and a phone's language is not a reliable guess. */
static const char *
status_zh (const char *status)
{
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_PAID) == 0)
    return "已入账";
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_VOIDED) == 0)
    return "已作废";
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_NOT_SYNCED) == 0)
    return "尚未同步";
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_MISMATCH) == 0)
    return "验证码不符";
  return "查无此票";
}

static const char *
status_en (const char *status)
{
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_PAID) == 0)
    return "Paid: HQ holds this receipt";
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_VOIDED) == 0)
    return "Void: this payment was reversed";
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_NOT_SYNCED) == 0)
    return "Not yet synced: the van has not sent it to HQ yet";
  if (g_strcmp0 (status, VP_RECEIPT_STATUS_MISMATCH) == 0)
    return "The verification code does not match this receipt";
  return "Unknown receipt";
}

static char *
answer_json (const Check *c)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  if (c->status == NULL)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, c->error_code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, c->problem);
    }
  else
    {
      json_builder_set_member_name (b, "receipt");
      json_builder_add_string_value (b, c->receipt);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, c->status);
      if (c->has_amount)
        {
          g_autofree char *plain = vp_money_format_plain (c->amount);

          json_builder_set_member_name (b, "amount");
          json_builder_add_int_value (b, c->amount);
          json_builder_set_member_name (b, "amount_yuan");
          json_builder_add_string_value (b, plain);
        }
      if (c->date != NULL)
        {
          json_builder_set_member_name (b, "date");
          json_builder_add_string_value (b, c->date);
        }
      if (c->voided_by != NULL)
        {
          json_builder_set_member_name (b, "voided_by");
          json_builder_add_string_value (b, c->voided_by);
        }
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* A page a phone shows as is: inline style, no script, no external
 * asset (nothing is loaded from anywhere else, nothing tracks). */
static char *
answer_html (const Check *c)
{
  GString *s = g_string_new (NULL);
  g_autofree char *receipt = g_markup_escape_text (c->receipt ? c->receipt : "", -1);
  const char *colour = "#666";

  if (g_strcmp0 (c->status, VP_RECEIPT_STATUS_PAID) == 0)
    colour = "#1b7a2e";
  else if (g_strcmp0 (c->status, VP_RECEIPT_STATUS_VOIDED) == 0 ||
           g_strcmp0 (c->status, VP_RECEIPT_STATUS_MISMATCH) == 0)
    colour = "#b3261e";
  else if (g_strcmp0 (c->status, VP_RECEIPT_STATUS_NOT_SYNCED) == 0)
    colour = "#8a5a00";
  g_string_append (s,
                   "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>收据查询 Receipt check</title>"
                   "<style>body{font-family:sans-serif;margin:1.5em;max-width:30em}"
                   "h1{font-size:1.2em}.st{font-size:1.5em;font-weight:bold;color:");
  g_string_append (s, colour);
  g_string_append (s, "}dt{color:#555;margin-top:.6em}dd{margin:0;font-size:1.1em}</style>"
                      "</head><body><h1>收据查询 · Receipt check</h1>\n");
  if (c->status == NULL)
    {
      g_autofree char *problem = g_markup_escape_text (c->problem, -1);

      g_string_append_printf (s, "<p class=\"st\" id=\"status\" data-status=\"bad_request\">"
                                 "无法查询 · Cannot check</p><p>%s</p>\n", problem);
    }
  else
    {
      g_string_append_printf (s, "<p class=\"st\" id=\"status\" data-status=\"%s\">%s<br>%s</p>\n",
                              c->status, status_zh (c->status), status_en (c->status));
      g_string_append_printf (s, "<dl><dt>收据号 · Receipt</dt><dd>%s</dd>\n", receipt);
      if (c->has_amount)
        {
          g_autofree char *money = vp_money_format (c->amount);
          g_autofree char *m = g_markup_escape_text (money, -1);

          g_string_append_printf (s, "<dt>金额 · Amount</dt><dd>%s</dd>\n", m);
        }
      if (c->date != NULL)
        g_string_append_printf (s, "<dt>日期 · Date</dt><dd>%s</dd>\n", c->date);
      if (c->voided_by != NULL)
        {
          g_autofree char *v = g_markup_escape_text (c->voided_by, -1);

          g_string_append_printf (s, "<dt>冲正收据 · Reversed by</dt><dd>%s</dd>\n", v);
        }
      g_string_append (s, "</dl>\n");
      if (g_strcmp0 (c->status, VP_RECEIPT_STATUS_NOT_SYNCED) == 0)
        g_string_append (s, "<p>服务车通常在回到有网络的地方后同步，请稍后再查。<br>"
                            "Vans send their receipts when they are back in coverage;"
                            " check again later.</p>\n");
      else if (g_strcmp0 (c->status, VP_RECEIPT_STATUS_UNKNOWN) == 0 ||
               g_strcmp0 (c->status, VP_RECEIPT_STATUS_MISMATCH) == 0)
        g_string_append (s, "<p>请核对收据号和验证码；如仍不符，请致电供水供气公司。<br>"
                            "Check the receipt number and code; if it still does not match,"
                            " call the utility.</p>\n");
    }
  g_string_append (s, "</body></html>\n");
  return g_string_free (s, FALSE);
}

static char *
local_date (gint64 device_time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (device_time / G_USEC_PER_SEC);

  return dt ? g_date_time_format (dt, "%Y-%m-%d") : NULL;
}

/* A receipt a known van has not sent long after its day: the van may be
 * skimming or have cut its journal. One flag per (van, seq), however
 * often it is checked (unique index review_flags_missing_receipt). */
static gboolean
flag_if_overdue (PGconn      *conn,
                 const char  *van,
                 gint         date,
                 gint64       seq,
                 const char  *receipt,
                 guint        missing_after_hours,
                 GError     **error)
{
  g_autoptr(GDateTime) day = g_date_time_new_local (date / 10000, date / 100 % 100, date % 100,
                                                    0, 0, 0);
  g_autoptr(GDateTime) due = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *seq_text = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(PGresult) res = NULL;

  if (day == NULL)
    return TRUE;
  due = g_date_time_add_hours (day, 24 + (gint) missing_after_hours);
  if (due == NULL || g_date_time_compare (now, due) < 0)
    return TRUE;
  seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, seq);
  reason = g_strdup_printf ("missing receipt: %s was checked by a resident but HQ does not hold"
                            " it %u h after its day (skimmed, or a cut journal?)",
                            receipt, missing_after_hours);
  {
    const char *p[] = { van, seq_text, reason };

    res = vp_pg_query_prepared (conn, "receipt_flag",
                                "INSERT INTO review_flags (van, seq, reason) VALUES ($1, $2, $3)"
                                " ON CONFLICT (van, seq) WHERE reason LIKE 'missing receipt:%'"
                                " DO NOTHING RETURNING id",
                                3, p, error);
  }
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    g_message ("Review flag %s: receipt %s of van %s is not at HQ %u h after its day",
               PQgetvalue (res, 0, 0), receipt, van, missing_after_hours);
  return TRUE;
}

static gboolean
look_up (PGconn      *conn,
         Check       *c,
         const char  *van,
         gint         date,
         gint64      seq,
         const char  *code,
         guint        missing_after_hours,
         GError     **error)
{
  g_autofree char *seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, seq);
  const char *p[] = { van, seq_text };
  g_autoptr(PGresult) res = NULL;
  g_autoptr(PGresult) voids = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *stored = NULL;
  g_autofree char *expected = NULL;
  const char *kind;
  gint64 device_time;
  JsonNode *root;

  res = vp_pg_query_prepared (conn, "receipt_entry",
                              "SELECT kind, payload_text, device_time, hash FROM journal"
                              " WHERE van = $1 AND seq = $2", 2, p, error);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    {
      g_autoptr(PGresult) known = NULL;

      known = vp_pg_query_prepared (conn, "receipt_van",
                                    "SELECT (SELECT max (seq) FROM journal WHERE van = $1)"
                                    " FROM vans WHERE id = $1", 1, p, error);
      if (known == NULL)
        return FALSE;
      /* HQ stores a van's entries without gaps: a seq beyond the highest
       * it holds is one the van has not sent yet. An unknown van, or a
       * seq within what HQ holds, is no receipt of ours. */
      if (PQntuples (known) == 1 && seq > vp_pg_get_int64 (known, 0, 0))
        {
          c->status = VP_RECEIPT_STATUS_NOT_SYNCED;
          return flag_if_overdue (conn, van, date, seq, c->receipt, missing_after_hours, error);
        }
      c->status = VP_RECEIPT_STATUS_UNKNOWN;
      return TRUE;
    }
  kind = PQgetvalue (res, 0, 0);
  device_time = vp_pg_get_int64 (res, 0, 2);
  stored = vp_journal_receipt_number (van, device_time, seq);
  /* Another day's number for a held seq, or a kind that is the van's
   * own slip (a shift, a drawer movement): not a receipt of ours. */
  if (g_strcmp0 (stored, c->receipt) != 0 || !vp_receipt_kind_is_checkable (kind))
    {
      c->status = VP_RECEIPT_STATUS_UNKNOWN;
      return TRUE;
    }
  expected = vp_journal_verify_code (PQgetvalue (res, 0, 3));
  if (g_strcmp0 (expected, code) != 0)
    {
      /* Nothing about the entry for a wrong code. */
      c->status = VP_RECEIPT_STATUS_MISMATCH;
      return TRUE;
    }
  c->date = local_date (device_time);
  if (json_parser_load_from_data (parser, PQgetvalue (res, 0, 1), -1, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      c->amount = vp_receipt_amount (kind, json_node_get_object (root));
      c->has_amount = TRUE;
    }
  /* The reversal HQ applied (a rejected void reversed nothing). */
  voids = vp_pg_query_prepared (conn, "receipt_void",
                                "SELECT seq, device_time FROM journal WHERE van = $1"
                                " AND kind = 'void' AND payload->>'voided_seq' = $2"
                                " AND outcome <> 'rejected' ORDER BY seq LIMIT 1", 2, p, error);
  if (voids == NULL)
    return FALSE;
  if (PQntuples (voids) == 1)
    {
      c->status = VP_RECEIPT_STATUS_VOIDED;
      c->voided_by = vp_journal_receipt_number (van, vp_pg_get_int64 (voids, 0, 1),
                                                vp_pg_get_int64 (voids, 0, 0));
    }
  else
    c->status = VP_RECEIPT_STATUS_PAID;
  return TRUE;
}

void
vp_hq_receipt_check (PGconn            *conn,
                     const char        *receipt,
                     const char        *code,
                     gboolean           html,
                     guint              missing_after_hours,
                     VpHqReceiptAnswer *answer)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *van = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *norm = NULL;
  g_autofree char *problem = NULL;
  Check c = { 0 };
  gint date = 0;
  gint64 seq = 0;

  c.receipt = receipt;
  answer->status = 200;
  if (!vp_receipt_number_parse (receipt, &van, &date, &seq, &error))
    {
      problem = g_strdup (error->message);
      answer->status = 400;
    }
  else if (code == NULL || *code == '\0')
    {
      problem = g_strdup ("give the receipt's verification code: ?code=XXXX-XXXX");
      answer->status = 400;
    }
  else if ((norm = vp_receipt_code_normalize (code, &error)) == NULL)
    {
      problem = g_strdup (error->message);
      answer->status = 400;
    }
  else
    {
      canonical = g_strdup_printf ("%s-%08d-%06" G_GINT64_FORMAT, van, date, seq);
      c.receipt = canonical;
      if (!look_up (conn, &c, van, date, seq, norm, missing_after_hours, &error))
        {
          g_warning ("Receipt check %s: %s", canonical, error->message);
          problem = g_strdup ("HQ cannot check receipts right now; try again later");
          answer->status = 503;
          c.status = NULL;
        }
    }
  c.problem = problem;
  c.error_code = answer->status == 503 ? "unavailable" : "bad_request";
  if (answer->status != 200)
    c.status = NULL;
  if (html)
    {
      answer->content_type = g_strdup ("text/html; charset=utf-8");
      answer->body = answer_html (&c);
    }
  else
    {
      answer->content_type = g_strdup ("application/json");
      answer->body = answer_json (&c);
    }
  g_free (c.date);
  g_free (c.voided_by);
}
