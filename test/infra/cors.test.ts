import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { ROUTES } from "../../shared/app/http/routes.js";
import { synthesize, unacknowledgedFindings } from "./stack.js";

const ORIGINS = ["https://game.example", "https://admin.example"];
const cors = synthesize({ corsAllowedOrigins: ORIGINS }, "Cors", { bundle: false });
const plain = synthesize({}, "NoCors", { bundle: false });

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
const methods = (resources: Resources) => Object.values(resources).filter((r) => r.Type === "AWS::ApiGateway::Method");

describe("CORS on API Gateway", () => {
  it("every resource of a route answers OPTIONS with a keyless mock integration", () => {
    const template = cors.template.toJSON() as { Resources: Resources };
    const resourceIds = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === "AWS::ApiGateway::Resource")
      .map(([id]) => id);
    const options = methods(template.Resources).filter((m) => m.Properties.HttpMethod === "OPTIONS");
    const covered = new Set(options.map((m) => m.Properties.ResourceId?.Ref).filter(Boolean));
    expect(resourceIds.filter((id) => !covered.has(id))).toEqual([]);
    // Every route's path is one of those resources (the table has paths at least as deep as /v1/openapi.json).
    expect(resourceIds.length).toBeGreaterThanOrEqual(new Set(ROUTES.map((r) => r.path)).size);
    for (const method of options) {
      expect(method.Properties.AuthorizationType).toBe("NONE");
      expect(method.Properties.Integration.Type).toBe("MOCK");
    }
  });

  it("the preflight allows the SDK's headers and echoes a listed origin only", () => {
    cors.template.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "OPTIONS",
      Integration: {
        IntegrationResponses: Match.arrayWith([
          Match.objectLike({
            StatusCode: "204",
            ResponseParameters: Match.objectLike({
              "method.response.header.Access-Control-Allow-Headers": Match.stringLikeRegexp(
                "Authorization.*Content-Type.*Idempotency-Key.*If-Match.*Last-Event-ID",
              ),
              "method.response.header.Access-Control-Allow-Origin": `'${ORIGINS[0]}'`,
            }),
            // Several origins: CDK's template echoes the request's origin when it is one of them.
            ResponseTemplates: { "application/json": Match.stringLikeRegexp("https://admin\\.example") },
          }),
        ]),
      },
    });
  });

  it("gateway responses (401, 403, 429 …) carry the allowed origin", () => {
    cors.template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
      ResponseType: "UNAUTHORIZED",
      ResponseParameters: Match.objectLike({
        "gatewayresponse.header.Access-Control-Allow-Origin": `'${ORIGINS[0]}'`,
      }),
    });
  });

  it("the API and stream functions get the deployment's list", () => {
    cors.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ CORS_ALLOWED_ORIGINS: ORIGINS.join(",") }) },
    });
  });

  it("without origins there is no OPTIONS method, and either way cdk-nag has nothing unacknowledged", () => {
    const template = plain.template.toJSON() as { Resources: Resources };
    expect(methods(template.Resources).filter((m) => m.Properties.HttpMethod === "OPTIONS")).toEqual([]);
    expect(unacknowledgedFindings(cors.stack)).toEqual([]);
  });
});

describe("the root stack's size", () => {
  it("stays well under CloudFormation's 500 resources with CORS on (each new route adds 2–3)", () => {
    const count = Object.keys((cors.template.toJSON() as { Resources: Resources }).Resources).length;
    expect(count).toBeLessThanOrEqual(450);
  });

  it("API Gateway may invoke each API function through one permission scoped to this API, not one per method", () => {
    const permissions = Object.values((cors.template.toJSON() as { Resources: Resources }).Resources).filter(
      (r) => r.Type === "AWS::Lambda::Permission" && r.Properties.Principal === "apigateway.amazonaws.com",
    );
    // The API function, the stream function, the docs function, the authorizer.
    expect(permissions).toHaveLength(4);
    for (const permission of permissions) {
      // arn:…:execute-api:<region>:<account>:<this API>/*/*/* (the authorizer's: <this API>/authorizers/<id>)
      expect(JSON.stringify(permission.Properties.SourceArn)).toMatch(
        /"Ref":"ApiRestApi\w+"\},"\/(\*\/\*\/\*|authorizers\/)/,
      );
    }
  });
});
