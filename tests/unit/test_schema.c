/* Unit tests for types and schemas (strom/types.h). */
#include "strom/types.h"
#include "test.h"

TEST(type_parse_and_format)
{
    strom_type t;
    strom_error e;
    char buf[32];
    CHECK_OK(strom_type_parse("decimal(10, 2)", 14, &t, &e), &e);
    CHECK_STR(strom_type_format(t, buf, sizeof buf), "DECIMAL(10,2)");
    CHECK_OK(strom_type_parse("DECIMAL", 7, &t, &e), &e);
    CHECK_EQ(t.precision, 10);
    CHECK_OK(strom_type_parse(" timestamp_ltz ", 15, &t, &e), &e);
    CHECK_EQ(t.id, STROM_TYPE_TIMESTAMP_LTZ);
    CHECK_OK(strom_type_parse("varchar", 7, &t, &e), &e);
    CHECK_EQ(t.id, STROM_TYPE_STRING);
    CHECK_EQ(strom_type_parse("DECIMAL(39,1)", 13, &t, &e), STROM_EINVAL);
    CHECK_EQ(strom_type_parse("DECIMAL(5,6)", 12, &t, &e), STROM_EINVAL);
    CHECK_EQ(strom_type_parse("DECIMAL(5", 9, &t, &e), STROM_EINVAL);
    CHECK_EQ(strom_type_parse("INTEGRAL", 8, &t, &e), STROM_EINVAL);
    CHECK(strstr(e.msg, "INTEGRAL") != NULL);
    CHECK_EQ(strom_type_parse("INT x", 5, &t, &e), STROM_EINVAL);
    CHECK_EQ(strom_type_width(STROM_TYPE_DECIMAL), 16);
    CHECK_EQ(strom_type_width(STROM_TYPE_DATE), 4);
    CHECK(!strom_type_valid(strom_type_decimal(0, 0)));
    CHECK(strom_type_valid(strom_type_decimal(38, 38)));
}

TEST(schema_build_and_evolve)
{
    strom_error e;
    strom_schema *s = strom_schema_new(1);
    CHECK_OK(strom_schema_add(s, "id", strom_type_of(STROM_TYPE_BIGINT), false, &e), &e);
    CHECK_OK(strom_schema_add(s, "name", strom_type_of(STROM_TYPE_STRING), true, &e), &e);
    CHECK_EQ(strom_schema_add(s, "id", strom_type_of(STROM_TYPE_INT), true, &e), STROM_EEXISTS);
    CHECK_EQ(strom_schema_add(s, "", strom_type_of(STROM_TYPE_INT), true, &e), STROM_EINVAL);
    CHECK_EQ(strom_schema_add(s, "a\nb", strom_type_of(STROM_TYPE_INT), true, &e), STROM_EINVAL);
    CHECK_EQ(strom_schema_add(s, "\xff", strom_type_of(STROM_TYPE_INT), true, &e), STROM_EINVAL);
    CHECK_OK(strom_schema_add(s, "größe", strom_type_of(STROM_TYPE_DOUBLE), true, &e), &e);
    CHECK_EQ(strom_schema_ncols(s), 3);
    CHECK_EQ(strom_schema_find(s, "name", 4), 1);
    CHECK_EQ(strom_schema_find(s, "nam", 3), -1);

    strom_schema *s2 = strom_schema_copy(s, 2);
    CHECK(strom_schema_equal(s, s2));
    CHECK_EQ(strom_schema_id(s2), 2);
    CHECK_OK(strom_schema_add(s2, "extra", strom_type_of(STROM_TYPE_DATE), true, &e), &e);
    CHECK_OK(strom_schema_check_evolution(s, s2, &e), &e);
    CHECK_EQ(strom_schema_check_evolution(s2, s, &e), STROM_EINVAL);

    strom_schema *s3 = strom_schema_copy(s, 3);
    CHECK_OK(strom_schema_add(s3, "req", strom_type_of(STROM_TYPE_DATE), false, &e), &e);
    CHECK_EQ(strom_schema_check_evolution(s, s3, &e), STROM_EINVAL);
    CHECK(strstr(e.msg, "nullable") != NULL);
    strom_schema_free(s);
    strom_schema_free(s2);
    strom_schema_free(s3);
}

int main(void)
{
    RUN_TEST(type_parse_and_format);
    RUN_TEST(schema_build_and_evolve);
    return TEST_EXIT();
}
