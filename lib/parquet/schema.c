/* llmd_schema: a tree of typed fields stored as a flat array (parents before children). */
#include "parquet/schema_internal.h"

static const char *const type_names[] = {
    NULL, "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float",
    "double", "string", "binary", "fixed_binary", "date", "time", "timestamp", "decimal", "uuid",
    "struct", "list", "map"};

const char *llmd_type_name(llmd_type_id id) {
    if ((int)id < 1 || (int)id > LLMD_TYPE_MAP) return NULL;
    return type_names[id];
}

llmd_status llmd_schema_new(llmd_schema **out) {
    if (!out) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_schema_new: out is NULL");
    *out = NULL;
    llmd_schema *s = llmd_calloc(1, sizeof *s);
    if (!s) return llmd_fail_nomem("creating a schema");
    s->cap = 8;
    s->f = llmd_calloc(s->cap, sizeof *s->f);
    if (!s->f) {
        llmd_free(s);
        return llmd_fail_nomem("creating a schema");
    }
    s->n = 1;
    s->f[0].name = llmd_strdup("");
    s->f[0].type.id = LLMD_TYPE_STRUCT;
    s->f[0].parent = -1;
    if (!s->f[0].name) {
        llmd_schema_free(s);
        return llmd_fail_nomem("creating a schema");
    }
    *out = s;
    return LLMD_OK;
}

void llmd_schema_free(llmd_schema *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        llmd_free(s->f[i].name);
        llmd_free(s->f[i].children);
    }
    llmd_free(s->f);
    llmd_free(s);
}

llmd_status llmd_schema_clone(llmd_schema **out, const llmd_schema *s) {
    if (!out || !s) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_schema_clone: NULL argument");
    *out = NULL;
    llmd_schema *c = llmd_calloc(1, sizeof *c);
    if (!c) return llmd_fail_nomem("copying a schema");
    c->f = llmd_calloc((size_t)s->n, sizeof *c->f);
    if (!c->f) {
        llmd_free(c);
        return llmd_fail_nomem("copying a schema");
    }
    c->cap = c->n = s->n;
    for (int i = 0; i < s->n; i++) {
        c->f[i] = s->f[i];
        c->f[i].name = llmd_strdup(s->f[i].name);
        c->f[i].children = NULL;
        if (s->f[i].n_children) {
            c->f[i].children = llmd_malloc((size_t)s->f[i].n_children * sizeof(int));
            if (c->f[i].children)
                memcpy(c->f[i].children, s->f[i].children, (size_t)s->f[i].n_children * sizeof(int));
        }
        if (!c->f[i].name || (s->f[i].n_children && !c->f[i].children)) {
            c->n = i + 1;
            llmd_schema_free(c);
            return llmd_fail_nomem("copying a schema");
        }
    }
    *out = c;
    return LLMD_OK;
}

static llmd_status check_type(const llmd_type *t) {
    switch (t->id) {
    case LLMD_TYPE_FIXED_BINARY:
        if (t->byte_width < 1 || t->byte_width > (1 << 24))
            return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: fixed_binary byte_width %d outside 1..2^24", t->byte_width);
        return LLMD_OK;
    case LLMD_TYPE_DECIMAL:
        if (t->precision < 1 || t->precision > 38 || t->scale < 0 || t->scale > t->precision)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: decimal(%d,%d) outside precision 1..38, scale 0..precision",
                             t->precision, t->scale);
        return LLMD_OK;
    case LLMD_TYPE_TIME: case LLMD_TYPE_TIMESTAMP:
        if (t->unit < LLMD_TIME_MILLIS || t->unit > LLMD_TIME_NANOS)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: time unit %d unknown", t->unit);
        return LLMD_OK;
    default:
        if ((int)t->id < 1 || (int)t->id > LLMD_TYPE_MAP)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: type id %d unknown", (int)t->id);
        return LLMD_OK;
    }
}

llmd_status llmd_schema_add(llmd_schema *s, int parent, const char *name, const llmd_type *type,
                            int nullable, int *out_id) {
    if (!s || !name || !type) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_schema_add: NULL argument");
    if (parent < 0 || parent >= s->n) return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: no field %d to add '%s' under", parent, name);
    if (!name[0]) return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: empty field name under field %d", parent);
    if (llmd_utf8_validate((const unsigned char *)name, strlen(name)) != strlen(name))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: field name is not UTF-8");
    llmd_status st = check_type(type);
    if (st) return st;
    llmd_field *p = &s->f[parent];
    if (p->type.id == LLMD_TYPE_LIST && p->n_children >= 1)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: list '%s' already has its element", p->name);
    if (p->type.id == LLMD_TYPE_MAP && p->n_children >= 2)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: map '%s' already has its key and value", p->name);
    if (p->type.id != LLMD_TYPE_STRUCT && p->type.id != LLMD_TYPE_LIST && p->type.id != LLMD_TYPE_MAP)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: field '%s' is a %s, which holds no children", p->name,
                         llmd_type_name(p->type.id));
    if (p->type.id == LLMD_TYPE_MAP && p->n_children == 0 && nullable)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: map '%s' key '%s' must not be nullable", p->name, name);
    if (llmd_schema_find(s, parent, name) >= 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: '%s' already has a field '%s'", p->name, name);
    if (s->n == s->cap) {
        int ncap = s->cap * 2;
        llmd_field *nf = llmd_realloc(s->f, (size_t)s->cap * sizeof *nf, (size_t)ncap * sizeof *nf);
        if (!nf) return llmd_fail_nomem("growing a schema");
        s->f = nf;
        s->cap = ncap;
        p = &s->f[parent];
    }
    int *nc = llmd_realloc(p->children, (size_t)p->n_children * sizeof(int), (size_t)(p->n_children + 1) * sizeof(int));
    if (!nc) return llmd_fail_nomem("growing a schema");
    p->children = nc;
    llmd_field *f = &s->f[s->n];
    memset(f, 0, sizeof *f);
    f->name = llmd_strdup(name);
    if (!f->name) return llmd_fail_nomem("growing a schema");
    f->type = *type;
    f->nullable = nullable ? 1 : 0;
    f->parent = parent;
    p->children[p->n_children++] = s->n;
    if (out_id) *out_id = s->n;
    s->n++;
    return LLMD_OK;
}

static int valid_id(const llmd_schema *s, int id) {
    return s && id >= 0 && id < s->n;
}

int llmd_schema_count(const llmd_schema *s) {
    return s ? s->n : 0;
}

int llmd_schema_child_count(const llmd_schema *s, int id) {
    return valid_id(s, id) ? s->f[id].n_children : 0;
}

int llmd_schema_child(const llmd_schema *s, int id, int i) {
    if (!valid_id(s, id) || i < 0 || i >= s->f[id].n_children) return -1;
    return s->f[id].children[i];
}

int llmd_schema_parent(const llmd_schema *s, int id) {
    return valid_id(s, id) ? s->f[id].parent : -1;
}

const char *llmd_schema_name(const llmd_schema *s, int id) {
    return valid_id(s, id) ? s->f[id].name : NULL;
}

llmd_type llmd_schema_type(const llmd_schema *s, int id) {
    llmd_type t;
    memset(&t, 0, sizeof t);
    return valid_id(s, id) ? s->f[id].type : t;
}

int llmd_schema_nullable(const llmd_schema *s, int id) {
    return valid_id(s, id) ? s->f[id].nullable : 0;
}

int llmd_schema_find(const llmd_schema *s, int parent, const char *name) {
    if (!valid_id(s, parent) || !name) return -1;
    for (int i = 0; i < s->f[parent].n_children; i++) {
        int c = s->f[parent].children[i];
        if (strcmp(s->f[c].name, name) == 0) return c;
    }
    return -1;
}

/* Checks that every container is complete (writer precondition). */
llmd_status pq_schema_check_complete(const llmd_schema *s) {
    if (s->f[0].n_children == 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: no columns");
    for (int i = 0; i < s->n; i++) {
        const llmd_field *f = &s->f[i];
        if (f->type.id == LLMD_TYPE_STRUCT && f->n_children == 0)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: struct '%s' has no fields", f->name);
        if (f->type.id == LLMD_TYPE_LIST && f->n_children != 1)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: list '%s' has no element field", f->name);
        if (f->type.id == LLMD_TYPE_MAP && f->n_children != 2)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "schema: map '%s' needs a key and a value field", f->name);
    }
    return LLMD_OK;
}
