package io.vigil.monitoring;

import static io.vigil.monitoring.ApiFixture.isError;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RecordResourceTest {

  static Map<String, Object> payload(
      String scoringId, int age, String sex, String prediction, double pRisk) {
    return Map.of(
        "scoring_id",
        scoringId,
        "scoring_timestamp",
        "2026-11-01T10:00:00Z",
        "request",
        Map.of(
            "fields",
            List.of("Age", "Sex", "LoanAmount"),
            "values",
            List.of(List.of(age, sex, 1000 + age))),
        "response",
        Map.of(
            "fields", List.of("Age", "Sex", "LoanAmount", "probability", "prediction"),
            "values",
                List.of(List.of(age, sex, 1000 + age, List.of(1 - pRisk, pRisk), prediction))),
        "response_time",
        12);
  }

  @Test
  void payloadIsStoredOnceAndAcknowledgedAfterCommit() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payloadSet = t.dataSet(subscription, "payload_logging");
    t.api()
        .get("/data_sets/" + payloadSet)
        .then()
        .statusCode(200)
        .body("entity.type", is("payload_logging"));

    List<Object> batch = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      batch.add(
          payload(
              "s-" + i,
              20 + i,
              i % 2 == 0 ? "female" : "male",
              i % 3 == 0 ? "Risk" : "No Risk",
              i / 20.0));
    }
    String location =
        t.api()
            .body(batch)
            .post("/data_sets/" + payloadSet + "/records")
            .then()
            .statusCode(202)
            .header(
                "Location",
                startsWith("/openscale/" + t.id() + "/v2/data_sets/" + payloadSet + "/requests/"))
            .body("entity.records_stored", is(20))
            .extract()
            .header("Location");
    // the same records again (a client's or the router's retry): stored once
    t.api()
        .body(batch)
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202)
        .body("entity.records_stored", is(0));

    io.restassured.RestAssured.given()
        .header("Authorization", "Bearer " + t.key())
        .get(location)
        .then()
        .statusCode(200)
        .body("entity.state", is("active"))
        .body("entity.records_received", is(20));
    t.api()
        .queryParam("include_total_count", true)
        .queryParam("limit", 0)
        .get("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(200)
        .body("total_count", is(20))
        .body("records", hasSize(0));
    t.api()
        .queryParam("limit", 5)
        .queryParam("offset", 2)
        .get("/data_sets/" + payloadSet + "/records")
        .then()
        .body("records", hasSize(5))
        .body("records[0].entity.values.Age", is(22))
        .body("records[0].entity.values.prediction", is("No Risk"))
        .body("records[0].entity.values.scoring_id", is("s-2"))
        .body("records[0].metadata.record_timestamp", is("2026-11-01T10:00:00.000Z"));
  }

  @Test
  void recordsAreFilteredPagedAndListed() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String feedback = t.dataSet(subscription, "feedback");
    List<Object> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(
          Map.of(
              "Age",
              20 + i,
              "Sex",
              i % 2 == 0 ? "female" : "male",
              "Risk",
              i < 10 ? "Risk" : "No Risk",
              "scoring_id",
              "f-" + i));
    }
    t.api()
        .body(rows)
        .post("/data_sets/" + feedback + "/records")
        .then()
        .statusCode(202)
        .body("entity.records_stored", is(30));
    t.api()
        .body(
            List.of(
                Map.of(
                    "fields",
                    List.of("Age", "Sex", "Risk"),
                    "values",
                    List.of(List.of(70, "male", "Risk"), List.of(71, "female", "No Risk")))))
        .header("Idempotency-Key", "fb-batch-7")
        .post("/data_sets/" + feedback + "/records")
        .then()
        .statusCode(202)
        .body("entity.records_stored", is(2));

    String records = "/data_sets/" + feedback + "/records";
    t.api()
        .queryParam("filter", "Age:gte:45")
        .queryParam("include_total_count", true)
        .get(records)
        .then()
        .body("total_count", is(7));
    t.api()
        .queryParam("filter", "Sex:eq:female,Risk:eq:Risk")
        .queryParam("include_total_count", true)
        .get(records)
        .then()
        .body("total_count", is(5));
    t.api()
        .queryParam("filter", "Age:in:20;21;70")
        .queryParam("include_total_count", true)
        .get(records)
        .then()
        .body("total_count", is(3));
    t.api()
        .queryParam("filter", "Sex:like:fem%")
        .queryParam("include_total_count", true)
        .get(records)
        .then()
        .body("total_count", is(16));
    t.api()
        .queryParam("format", "list")
        .queryParam("limit", 3)
        .get(records)
        .then()
        .body("records[0].fields", hasSize(4))
        .body("records[0].values", hasSize(3))
        .body("records[0].record_ids[0]", is("f-0"));
    t.api()
        .queryParam("end", "2000-01-01T00:00:00Z")
        .queryParam("include_total_count", true)
        .get(records)
        .then()
        .body("total_count", is(0));

    isError(t.api().queryParam("limit", 1001).get(records).then(), 400, "invalid_request");
    isError(
        t.api().queryParam("filter", "Age:between:1").get(records).then(), 400, "invalid_request");
    isError(t.api().queryParam("start", "yesterday").get(records).then(), 400, "invalid_request");
    isError(t.api().queryParam("format", "csv").get(records).then(), 400, "invalid_request");
  }

  @Test
  void badRecordsAreRefusedWholeAndNothingIsStored() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String payloadSet = t.dataSet(subscription, "payload_logging");
    String records = "/data_sets/" + payloadSet + "/records";

    Map<String, Object> good = payload("ok-1", 30, "male", "Risk", 0.7);
    Map<String, Object> shortRow =
        Map.of(
            "scoring_id", "bad-1",
            "request", Map.of("fields", List.of("Age", "Sex"), "values", List.of(List.of(30))),
            "response",
                Map.of("fields", List.of("prediction"), "values", List.of(List.of("Risk"))));
    isError(t.api().body(List.of(good, shortRow)).post(records).then(), 400, "invalid_request")
        .body("errors[0].message", containsString("record 1"))
        .body("errors[0].message", containsString("1 values but there are 2 fields"));
    isError(t.api().body("[{\"scoring_id\": ").post(records).then(), 400, "invalid_request");
    isError(t.api().body("[]").post(records).then(), 400, "invalid_request");
    isError(
        t.api()
            .body(List.of(Map.of("scoring_id", 5, "request", Map.of(), "response", Map.of())))
            .post(records)
            .then(),
        400,
        "invalid_request");
    isError(t.api().body(List.of(good, good)).post(records).then(), 400, "invalid_request")
        .body("errors[0].message", containsString("twice"));
    isError(
        t.api().contentType(ContentType.TEXT).body("Age,Sex\n1,m").post(records).then(),
        415,
        "unsupported_media_type");
    isError(
        t.api().body(List.of(good)).post("/data_sets/unknown/records").then(), 404, "not_found");

    StringBuilder big = new StringBuilder("[");
    String one = "{\"Age\": 1, \"Sex\": \"" + "x".repeat(1000) + "\"},";
    while (big.length() < 1_100_000) {
      big.append(one);
    }
    big.setLength(big.length() - 1);
    big.append(']');
    String feedback = t.dataSet(subscription, "feedback");
    isError(
        t.api().body(big.toString()).post("/data_sets/" + feedback + "/records").then(),
        413,
        "payload_too_large");

    t.api()
        .queryParam("include_total_count", true)
        .queryParam("limit", 0)
        .get(records)
        .then()
        .body("total_count", is(0));
    t.api()
        .queryParam("include_total_count", true)
        .queryParam("limit", 0)
        .get("/data_sets/" + feedback + "/records")
        .then()
        .body("total_count", is(0));
  }

  @Test
  void aDeletedDataSetTakesNoMoreRecords() {
    ApiFixture t = ApiFixture.newTenant();
    String feedback = t.dataSet(t.creditRiskSubscription(), "feedback");
    String records = "/data_sets/" + feedback + "/records";
    t.api().body(List.of(Map.of("Age", 1, "Risk", "Risk"))).post(records).then().statusCode(202);
    t.api().delete("/data_sets/" + feedback).then().statusCode(204);
    // the parsing rules of the data set may still be cached: the store itself must refuse
    isError(
        t.api().body(List.of(Map.of("Age", 2, "Risk", "Risk"))).post(records).then(),
        404,
        "not_found");
    isError(t.api().get(records).then(), 404, "not_found");
  }

  @Test
  void anotherTenantCannotStoreOrReadRecords() {
    ApiFixture a = ApiFixture.newTenant();
    ApiFixture b = ApiFixture.newTenant();
    String payloadSet = a.dataSet(a.creditRiskSubscription(), "payload_logging");
    a.api()
        .body(List.of(payload("a-1", 30, "male", "Risk", 0.7)))
        .post("/data_sets/" + payloadSet + "/records")
        .then()
        .statusCode(202);
    isError(
        b.api()
            .body(List.of(payload("b-1", 30, "male", "Risk", 0.7)))
            .post("/data_sets/" + payloadSet + "/records")
            .then(),
        404,
        "not_found");
    isError(b.api().get("/data_sets/" + payloadSet + "/records").then(), 404, "not_found");
    // one record by its id: the owner reads it, another tenant and a wrong id get 404
    a.api()
        .get("/data_sets/" + payloadSet + "/records/a-1")
        .then()
        .statusCode(200)
        .body("metadata.id", is("a-1"))
        .body("entity.values.Age", is(30));
    isError(b.api().get("/data_sets/" + payloadSet + "/records/a-1").then(), 404, "not_found");
    isError(a.api().get("/data_sets/" + payloadSet + "/records/nope").then(), 404, "not_found");
    a.api()
        .queryParam("include_total_count", true)
        .get("/data_sets/" + payloadSet + "/records")
        .then()
        .body("total_count", is(1));
  }

  /** CSV as IBM's SDK sends a file: header, skip, limit, delimiter, quotes, on_error. */
  @Test
  void csvRecordsAreStoredWithTheSdksOptions() {
    ApiFixture t = ApiFixture.newTenant();
    String feedback = t.dataSet(t.creditRiskSubscription(), "feedback");
    String records = "/data_sets/" + feedback + "/records";
    String csv =
        "Age;Sex;LoanAmount;Risk;note\r\n"
            + "31;female;2500;No Risk;first\r\n"
            + "44;male;1000.5;Risk;\"says \"\"hi\"\"; twice\"\r\n"
            + "52;male;;Risk;\"two\nlines\"\r\n"
            + "60;female;300;No Risk;last\r\n";
    t.api()
        .contentType("text/csv")
        .queryParam("delimiter", ";")
        .queryParam("skip", 1)
        .queryParam("limit", 2)
        .body(csv)
        .post(records)
        .then()
        .statusCode(202)
        .header("Location", containsString("/requests/"))
        .body("state", is("active"))
        .body("entity.records_stored", is(2));
    t.api()
        .get(records)
        .then()
        .body("records", hasSize(2))
        .body("records.entity.values.Age", org.hamcrest.Matchers.containsInAnyOrder(44, 52))
        .body("records.entity.values.note", org.hamcrest.Matchers.hasItem("says \"hi\"; twice"))
        .body("records.entity.values.note", org.hamcrest.Matchers.hasItem("two\nlines"))
        .body("records.entity.values.LoanAmount", org.hamcrest.Matchers.hasItem(1000.5f));

    // a short row: refused whole by default, left out with on_error=continue
    String bad = "Age,Sex,Risk\n23,female,Risk\n24,male\n25,male,No Risk\n";
    isError(t.api().contentType("text/csv").body(bad).post(records).then(), 400, "invalid_request");
    t.api().get(records).then().body("records", hasSize(2));
    t.api()
        .contentType("text/csv")
        .queryParam("on_error", "continue")
        .body(bad)
        .post(records)
        .then()
        .statusCode(202)
        .body("entity.records_received", is(3))
        .body("entity.records_stored", is(2));
    // no header line: the data set's schema names the fields, in its order
    List<String> fields =
        t.api()
            .get("/data_sets/" + feedback)
            .then()
            .extract()
            .path("entity.data_schema.fields.name");
    String schema = fields.get(0);
    t.api()
        .contentType("text/csv")
        .queryParam("header", false)
        .body("77" + ",".repeat(fields.size() - 1) + "\n")
        .post(records)
        .then()
        .statusCode(202);
    t.api()
        .queryParam("limit", 100)
        .get(records)
        .then()
        .body("records.entity.values." + schema, org.hamcrest.Matchers.hasItem(77));
    // options out of range, a quote left open: 400, nothing stored
    isError(
        t.api()
            .contentType("text/csv")
            .queryParam("delimiter", ";;")
            .body("a\n1\n")
            .post(records)
            .then(),
        400,
        "invalid_request");
    isError(
        t.api().contentType("text/csv").body("a,b\n\"1,2\n").post(records).then(),
        400,
        "invalid_request");
    t.api().queryParam("include_total_count", true).get(records).then().body("total_count", is(5));
  }

  @Test
  void lateLabelsArePatchedOnOneRecordOrManyInOneTransaction() {
    ApiFixture t = ApiFixture.newTenant();
    String subscription = t.creditRiskSubscription();
    String feedback = t.dataSet(subscription, "feedback");
    List<Object> rows = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      rows.add(Map.of("scoring_id", "late-" + i, "Age", 30 + i, "Sex", "female"));
    }
    t.api().body(rows).post("/data_sets/" + feedback + "/records").then().statusCode(202);
    List<String> ids =
        t.api()
            .get("/data_sets/" + feedback + "/records")
            .jsonPath()
            .getList("records.metadata.id");
    String path = "/data_sets/" + feedback + "/records/";

    // one record: the SDK's records.update, answered as the record (DataRecordResponse)
    t.api()
        .body(List.of(Map.of("op", "add", "path", "/values/Risk", "value", "Risk")))
        .patch(path + ids.get(0))
        .then()
        .statusCode(200)
        .body("metadata.id", is(ids.get(0)))
        .body("entity.values.Risk", is("Risk"))
        .body("entity.values.Age", is(30));

    // many: the SDK's records.patch, answered as a Status; all or nothing
    isError(
        t.api()
            .body(
                List.of(
                    Map.of(
                        "op", "add", "path", "/" + ids.get(1) + "/values/Risk", "value", "No Risk"),
                    Map.of("op", "add", "path", "/no-such-record/values/Risk", "value", "Risk")))
            .patch(path.substring(0, path.length() - 1))
            .then(),
        404,
        "not_found");
    t.api()
        .get(path + ids.get(1))
        .then()
        .body("entity.values.Risk", org.hamcrest.Matchers.nullValue());
    t.api()
        .body(
            List.of(
                Map.of("op", "add", "path", "/" + ids.get(1) + "/values/Risk", "value", "No Risk"),
                Map.of("op", "add", "path", "/" + ids.get(2) + "/values/Risk", "value", "Risk"),
                Map.of(
                    "op",
                    "replace",
                    "path",
                    "/" + ids.get(0) + "/values/Risk",
                    "value",
                    "No Risk")))
        .patch(path.substring(0, path.length() - 1))
        .then()
        .statusCode(200)
        .body("state", is("active"))
        .body("records_updated", is(3));
    t.api()
        .get("/data_sets/" + feedback + "/records")
        .then()
        .body(
            "records.entity.values.Risk",
            org.hamcrest.Matchers.containsInAnyOrder("No Risk", "No Risk", "Risk"));

    // only values change; bad patches change nothing
    isError(
        t.api()
            .body(List.of(Map.of("op", "replace", "path", "/metadata/id", "value", "x")))
            .patch(path + ids.get(0))
            .then(),
        400,
        "invalid_request");
    isError(
        t.api()
            .body(List.of(Map.of("op", "replace", "path", "/values/Nope", "value", "x")))
            .patch(path + ids.get(0))
            .then(),
        400,
        "invalid_request");
    isError(t.api().body("{}").patch(path + ids.get(0)).then(), 400, "invalid_request");
    isError(
        t.api()
            .body(List.of(Map.of("op", "add", "path", "/values/Risk", "value", "Risk")))
            .patch(path + "no-such-record")
            .then(),
        404,
        "not_found");
    t.api().get(path + ids.get(0)).then().body("entity.values.Risk", is("No Risk"));

    // another tenant can neither read nor patch them
    ApiFixture other = ApiFixture.newTenant();
    isError(
        other
            .api()
            .body(List.of(Map.of("op", "add", "path", "/values/Risk", "value", "x")))
            .patch(path + ids.get(0))
            .then(),
        404,
        "not_found");
  }
}
