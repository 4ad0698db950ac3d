/* vp-context.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vp-context"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>

#include "vp-context.h"
#include "vp-service-print.h"

struct _VpContext
{
  GObject     parent_instance;
  VpDatabase *db;
  VpService  *service;
  VpStaff    *staff;
  GSettings  *settings;   /* NULL: schema not installed */
  GCancellable *integrity_check;  /* the background check of db */
  gboolean      integrity_started;
  guint         integrity_fallback;  /* starts the check if nothing did */
  char       *journal_break;  /* the break's message, NULL: none */
  GHashTable *printed;        /* seqs whose original receipt was printed */
  GPtrArray  *opening_staff;  /* the crew, read with the database */

  /* In-memory settings when there is no schema. */
  char       *database_path;
  char       *hq_url;
  char       *printer;
  guint       idle_lock_seconds;
  gboolean    large_text;
  gboolean    settings_large_text;   /* the schema has the key (not an older one) */
};

G_DEFINE_FINAL_TYPE (VpContext, vp_context, G_TYPE_OBJECT)

enum { PROP_0, PROP_STAFF, PROP_JOURNAL_BREAK, PROP_LARGE_TEXT, N_PROPS };
enum { CHANGED, WARNING, N_SIGNALS };

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
vp_context_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  VpContext *self = VP_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_STAFF:
      g_value_set_pointer (value, self->staff);
      break;
    case PROP_JOURNAL_BREAK:
      g_value_set_string (value, self->journal_break);
      break;
    case PROP_LARGE_TEXT:
      g_value_set_boolean (value, vp_context_get_large_text (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vp_context_finalize (GObject *object)
{
  VpContext *self = VP_CONTEXT (object);

  if (self->integrity_check != NULL)
    g_cancellable_cancel (self->integrity_check);
  g_clear_object (&self->integrity_check);
  g_clear_handle_id (&self->integrity_fallback, g_source_remove);
  g_clear_object (&self->service);
  g_clear_object (&self->db);
  g_clear_pointer (&self->staff, vp_staff_free);
  g_clear_pointer (&self->journal_break, g_free);
  g_clear_pointer (&self->printed, g_hash_table_unref);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->opening_staff, g_ptr_array_unref);
  g_clear_pointer (&self->database_path, g_free);
  g_clear_pointer (&self->hq_url, g_free);
  g_clear_pointer (&self->printer, g_free);
  G_OBJECT_CLASS (vp_context_parent_class)->finalize (object);
}

static void
vp_context_class_init (VpContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vp_context_get_property;
  object_class->finalize = vp_context_finalize;

  properties[PROP_STAFF] =
    g_param_spec_pointer ("staff", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_JOURNAL_BREAK] =
    g_param_spec_string ("journal-break", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LARGE_TEXT] =
    g_param_spec_boolean ("large-text", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[WARNING] = g_signal_new ("warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
large_text_changed (VpContext *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LARGE_TEXT]);
}

static void
vp_context_init (VpContext *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new_full (schema, NULL, NULL);
      self->settings_large_text = g_settings_schema_has_key (schema, "large-text");
      g_signal_connect_swapped (self->settings, "changed::large-text",
                                G_CALLBACK (large_text_changed), self);
    }
  else
    g_debug ("GSettings schema %s not found; using defaults in memory", APP_ID);

  self->printed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->database_path = g_strdup ("");
  self->hq_url = g_strdup ("");
  self->printer = g_strdup ("pdf");
  self->idle_lock_seconds = 120;
}

VpContext *
vp_context_new (void)
{
  return g_object_new (VP_TYPE_CONTEXT, NULL);
}

static VpDatabase *
open_checked (const char  *path,
              GError     **error)
{
  /* No quick_check here: on a city's accounts it takes seconds. The
   * file is checked in the background once the app is usable
   * (use_database), and damage blocks money then (DESIGN §5). */
  g_autoptr(VpDatabase) db = vp_database_open (path, VP_DATABASE_OPEN_DEFAULT, error);

  if (db == NULL)
    return NULL;
  if (!vp_database_is_initialized (db))
    {
      g_set_error (error, VP_STORE_ERROR, VP_STORE_ERROR_NOT_INITIALIZED,
                   _("%s is not set up for a van yet (vanpos-cli --db %s init --van VAN01)"),
                   path, path);
      return NULL;
    }
  return g_steal_pointer (&db);
}

static void
set_journal_break (VpContext  *self,
                   const char *message)
{
  if (g_strcmp0 (self->journal_break, message) == 0)
    return;
  g_free (self->journal_break);
  self->journal_break = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOURNAL_BREAK]);
}

static void
integrity_checked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(VpContext) self = user_data;
  g_autoptr(GError) error = NULL;
  const GError *broken;

  if (vp_database_check_integrity_finish (VP_DATABASE (source), result, &error))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      VP_DATABASE (source) != self->db)
    return;
  /* The store has set the break already; the banner and every money
   * page follow the context's journal-break. */
  g_message ("%s", error->message);
  broken = vp_database_get_break (self->db);
  set_journal_break (self, broken ? broken->message : error->message);
}

#define INTEGRITY_FALLBACK_S 5

static gboolean integrity_fallback (gpointer user_data);

static void
use_database (VpContext  *self,
              VpDatabase *db)
{
  const GError *broken;

  if (self->integrity_check != NULL)
    g_cancellable_cancel (self->integrity_check);
  g_clear_object (&self->integrity_check);
  g_clear_object (&self->service);
  g_set_object (&self->db, db);
  /* No worker touches db yet: reading its break here is safe. */
  broken = vp_database_get_break (db);
  self->service = vp_service_new (db);
  set_journal_break (self, broken ? broken->message : NULL);
  /* The check reads the whole file: it starts once the sign-in page is
   * up (vp_context_check_integrity), so as not to compete with it, or
   * after a few seconds whatever happens. */
  self->integrity_check = g_cancellable_new ();
  self->integrity_started = FALSE;
  g_clear_handle_id (&self->integrity_fallback, g_source_remove);
  self->integrity_fallback = g_timeout_add_seconds (INTEGRITY_FALLBACK_S, integrity_fallback, self);
}

void
vp_context_check_integrity (VpContext *self)
{
  g_return_if_fail (VP_IS_CONTEXT (self));

  if (self->db == NULL || self->integrity_started)
    return;
  self->integrity_started = TRUE;
  g_clear_handle_id (&self->integrity_fallback, g_source_remove);
  vp_database_check_integrity_async (self->db, self->integrity_check, integrity_checked,
                                     g_object_ref (self));
}

static gboolean
integrity_fallback (gpointer user_data)
{
  VpContext *self = user_data;

  self->integrity_fallback = 0;
  vp_context_check_integrity (self);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  VpDatabase *db;
  GPtrArray  *staff;   /* NULL if it could not be read: the page asks again */
} Opened;

static void
opened_free (Opened *opened)
{
  g_clear_object (&opened->db);
  g_clear_pointer (&opened->staff, g_ptr_array_unref);
  g_free (opened);
}

static void
open_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  VpDatabase *db = open_checked (task_data, &error);
  Opened *opened;

  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The sign-in page lists the crew first thing: read it here, and the
   * page is whole in its first frame (issue 11). */
  opened = g_new0 (Opened, 1);
  opened->db = db;
  opened->staff = vp_staff_store_list (db, NULL);
  g_task_return_pointer (task, opened, (GDestroyNotify)opened_free);
}

void
vp_context_open_database_async (VpContext           *self,
                                const char          *path,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (VP_IS_CONTEXT (self));
  g_return_if_fail (path != NULL);
  g_task_set_source_tag (task, vp_context_open_database_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, open_thread);
}

gboolean
vp_context_open_database_finish (VpContext     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  Opened *opened = g_task_propagate_pointer (G_TASK (result), error);

  if (opened == NULL)
    return FALSE;
  use_database (self, opened->db);
  g_clear_pointer (&self->opening_staff, g_ptr_array_unref);
  self->opening_staff = g_steal_pointer (&opened->staff);
  opened_free (opened);
  return TRUE;
}

GPtrArray *
vp_context_take_opening_staff (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  return g_steal_pointer (&self->opening_staff);
}

VpService *
vp_context_get_service (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  return self->service;
}

VpDatabase *
vp_context_get_database (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  return self->db;
}

const char *
vp_context_get_van_id (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  return self->db ? vp_database_get_van_id (self->db) : NULL;
}

const VpStaff *
vp_context_get_staff (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  return self->staff;
}

void
vp_context_set_staff (VpContext *self,
                      VpStaff   *staff)
{
  g_return_if_fail (VP_IS_CONTEXT (self));
  g_clear_pointer (&self->staff, vp_staff_free);
  self->staff = staff;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAFF]);
}

VpStaff *
vp_context_dup_staff (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  return self->staff ? vp_staff_copy (self->staff) : NULL;
}

gboolean
vp_context_has_gsettings (VpContext *self)
{
  return self->settings != NULL;
}

static char **
memory_string_slot (VpContext  *self,
                    const char *key)
{
  if (g_str_equal (key, "database-path"))
    return &self->database_path;
  if (g_str_equal (key, "hq-url"))
    return &self->hq_url;
  if (g_str_equal (key, "printer"))
    return &self->printer;
  g_return_val_if_reached (NULL);
}

char *
vp_context_dup_string (VpContext  *self,
                       const char *key)
{
  char **slot;

  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  if (self->settings)
    return g_settings_get_string (self->settings, key);
  slot = memory_string_slot (self, key);
  return slot ? g_strdup (*slot) : NULL;
}

void
vp_context_set_string (VpContext  *self,
                       const char *key,
                       const char *value)
{
  char **slot;

  g_return_if_fail (VP_IS_CONTEXT (self));
  if (self->settings)
    {
      g_settings_set_string (self->settings, key, value);
      return;
    }
  slot = memory_string_slot (self, key);
  if (slot)
    {
      g_free (*slot);
      *slot = g_strdup (value);
    }
}

guint
vp_context_get_idle_lock_seconds (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), 0);
  if (self->settings)
    return g_settings_get_uint (self->settings, "idle-lock-seconds");
  return self->idle_lock_seconds;
}

void
vp_context_set_idle_lock_seconds (VpContext *self,
                                  guint      seconds)
{
  g_return_if_fail (VP_IS_CONTEXT (self));
  seconds = CLAMP (seconds, VP_IDLE_LOCK_MIN_SECONDS, VP_IDLE_LOCK_MAX_SECONDS);
  if (self->settings)
    g_settings_set_uint (self->settings, "idle-lock-seconds", seconds);
  else
    self->idle_lock_seconds = seconds;
}

const char *
vp_context_get_journal_break (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), NULL);
  return self->journal_break;
}

void
vp_context_emit_changed (VpContext *self)
{
  g_return_if_fail (VP_IS_CONTEXT (self));
  g_signal_emit (self, signals[CHANGED], 0);
}

/* One job of vp_context_run(): the caller's job and callback, and what the
 * store had to say after it (taken on the worker, which owns the database;
 * read on the main thread once the task completed). */
typedef struct
{
  VpContext          *context;
  VpServiceFunc       func;
  gpointer            data;
  GDestroyNotify      data_free;
  GAsyncReadyCallback callback;
  gpointer            user_data;
  gboolean            ran;   /* FALSE: cancelled before it started */
  char              **warnings;
  char               *journal_break;
} RunJob;

static void
run_job_free (RunJob *job)
{
  if (job->data_free && job->data)
    job->data_free (job->data);
  g_clear_object (&job->context);
  g_strfreev (job->warnings);
  g_free (job->journal_break);
  g_free (job);
}

static gpointer
run_job_func (VpService     *service,
              gpointer       data,
              GCancellable  *cancellable,
              GError       **error)
{
  RunJob *job = data;
  VpDatabase *db = vp_service_get_database (service);
  gpointer result = job->func (service, job->data, cancellable, error);
  const GError *broken = vp_database_get_break (db);

  /* Clock warnings come from a commit and are taken once: whichever
   * screen committed, the person at the van sees them. */
  job->warnings = vp_database_take_warnings (db);
  job->journal_break = broken ? g_strdup (broken->message) : NULL;
  job->ran = TRUE;
  return result;
}

static void
run_job_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  RunJob *job = user_data;
  /* The task (holding job as its data) outlives this callback. */
  VpContext *self = job->context;

  if (job->callback)
    job->callback (source, result, job->user_data);
  if (job->ran)
    set_journal_break (self, job->journal_break);
  for (guint i = 0; job->warnings && job->warnings[i]; i++)
    g_signal_emit (self, signals[WARNING], 0, job->warnings[i]);
}

void
vp_context_run (VpContext           *self,
                VpServiceFunc        func,
                gpointer             data,
                GDestroyNotify       data_free,
                GDestroyNotify       result_free,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  RunJob *job;

  g_return_if_fail (VP_IS_CONTEXT (self));
  g_return_if_fail (self->service != NULL);
  job = g_new0 (RunJob, 1);
  job->context = g_object_ref (self);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->callback = callback;
  job->user_data = user_data;
  vp_service_run_async (self->service, run_job_func, job, (GDestroyNotify)run_job_free,
                        result_free, cancellable, run_job_done, job);
}

gpointer
vp_context_run_finish (VpContext     *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return vp_service_run_finish (self->service, result, error);
}

typedef struct
{
  gint64   seq;
  char    *printer;
  char    *dir;
  gboolean reprint;
  VpStaff *reprint_by;   /* who asked for the duplicate */
} PrintData;

static void
print_data_free (PrintData *d)
{
  g_free (d->printer);
  g_free (d->dir);
  g_clear_pointer (&d->reprint_by, vp_staff_free);
  g_free (d);
}

static gpointer
print_job (VpService     *service,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  PrintData *d = data;
  char *path = NULL;

  if (g_str_equal (d->printer, "pdf") && g_mkdir_with_parents (d->dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create %s: %s"), d->dir, g_strerror (saved));
      return NULL;
    }
  /* A receipt that never printed (it waits in the print queue) is still
   * owed as the original, not as a duplicate. */
  if (d->reprint)
    {
      gint64 job = vp_service_print_queue_job_for (service, d->seq, error);

      if (job < 0)
        return NULL;
      d->reprint = job == 0;
    }
  /* A duplicate is journaled with who printed it: none without them. */
  if (d->reprint && d->reprint_by == NULL)
    {
      g_set_error_literal (error, VP_STORE_ERROR, VP_STORE_ERROR_AUTH,
                           _("Sign in to print a duplicate of this receipt"));
      return NULL;
    }
  if (d->reprint
      ? !vp_service_print_reprint (service, d->reprint_by, d->seq, d->printer, d->dir, &path, error)
      : !vp_service_print_receipt (service, d->seq, d->printer, d->dir, &path, error))
    return NULL;
  return path ? path : g_strdup ("");
}

void
vp_context_print_receipt_async (VpContext           *self,
                                gint64               seq,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  PrintData *d = g_new0 (PrintData, 1);

  g_return_if_fail (VP_IS_CONTEXT (self));
  d->seq = seq;
  d->printer = vp_context_dup_string (self, "printer");
  d->dir = g_build_filename (g_get_user_data_dir (), "vanpos", "receipts", NULL);
  /* The first print of an entry is its receipt; every later one is a
   * journaled duplicate (重印 / DUPLICATE) by whoever is signed in. */
  if (g_hash_table_contains (self->printed, &seq))
    {
      d->reprint = TRUE;
      d->reprint_by = self->staff ? vp_staff_copy (self->staff) : NULL;
    }
  else
    g_hash_table_add (self->printed, g_memdup2 (&seq, sizeof seq));
  vp_context_run (self, print_job, d, (GDestroyNotify)print_data_free, g_free,
                  NULL, callback, user_data);
}

void
vp_context_reprint_receipt_async (VpContext           *self,
                                  const VpStaff       *staff,
                                  gint64               seq,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  PrintData *d = g_new0 (PrintData, 1);

  g_return_if_fail (VP_IS_CONTEXT (self));
  d->seq = seq;
  d->printer = vp_context_dup_string (self, "printer");
  d->dir = g_build_filename (g_get_user_data_dir (), "vanpos", "receipts", NULL);
  d->reprint = TRUE;
  d->reprint_by = staff ? vp_staff_copy (staff) : NULL;
  vp_context_run (self, print_job, d, (GDestroyNotify)print_data_free, g_free,
                  NULL, callback, user_data);
}

char *
vp_context_print_receipt_finish (VpContext     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return vp_service_run_finish (self->service, result, error);
}

gboolean
vp_context_get_large_text (VpContext *self)
{
  g_return_val_if_fail (VP_IS_CONTEXT (self), FALSE);
  if (self->settings_large_text)
    return g_settings_get_boolean (self->settings, "large-text");
  return self->large_text;
}

void
vp_context_set_large_text (VpContext *self,
                           gboolean   large)
{
  g_return_if_fail (VP_IS_CONTEXT (self));
  if (self->settings_large_text)
    g_settings_set_boolean (self->settings, "large-text", large);   /* notifies */
  else
    {
      self->large_text = large;
      large_text_changed (self);
    }
}
