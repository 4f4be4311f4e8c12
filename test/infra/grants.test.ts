import { Duration, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { Mail, senderAddress, senderDomain } from "../../infra/constructs/mail.js";
import { Scheduling } from "../../infra/constructs/scheduling.js";
import { logicalId, unacknowledgedFindings } from "./stack.js";

/**
 * The grant methods the scheduler target and sync and the mailer use, exercised on inline stand-in
 * functions: no bundling, so this file is fast. (test/infra/stack.test.ts asserts them in the stack.)
 */
function standIn(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async () => {};"),
    role: new iam.Role(stack, `${id}Role`, { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") }),
    timeout: Duration.seconds(5),
  });
}

describe("scheduling grants", () => {
  const stack = new Stack();
  const scheduling = new Scheduling(stack, "Scheduling");
  const target = standIn(stack, "Target");
  const sync = standIn(stack, "Sync");
  scheduling.allowInvoke(target);
  scheduling.grantManageSchedules(sync);
  const template = Template.fromStack(stack);

  it("lets the schedules invoke the target function only", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: logicalId(scheduling.executionRole) }],
      PolicyDocument: {
        Statement: [
          { Action: "lambda:InvokeFunction", Effect: "Allow", Resource: { "Fn::GetAtt": [logicalId(target), "Arn"] } },
        ],
      },
    });
  });

  it("lets the sync function manage schedules of its group only, and pass only the execution role", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: logicalId(sync.role!) }],
      PolicyDocument: {
        Statement: [
          {
            Action: [
              "scheduler:CreateSchedule",
              "scheduler:UpdateSchedule",
              "scheduler:DeleteSchedule",
              "scheduler:GetSchedule",
            ],
            Effect: "Allow",
            Resource: stack.resolve(scheduling.scheduleArn("*")),
          },
          {
            Action: "iam:PassRole",
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [logicalId(scheduling.executionRole), "Arn"] },
            Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
          },
        ],
      },
    });
    const scheduleArn = JSON.stringify(stack.resolve(scheduling.scheduleArn("*")));
    expect(scheduleArn).toContain(`:schedule/${stack.resolve(scheduling.group.scheduleGroupName) as string}/*`);
  });

  it("acknowledges exactly the schedule wildcard, so cdk-nag has nothing left to report", () => {
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });
});

describe("mail grants", () => {
  const stack = new Stack();
  const mail = new Mail(stack, "Mail");
  const mailer = standIn(stack, "Mailer");
  mail.grantSendEmail(mailer, "example.com");
  const template = Template.fromStack(stack);

  it("lets the mailer send from the one identity, through the configuration set only", () => {
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: logicalId(mailer.role!) }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown[] }>);
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Action).toEqual(["ses:SendEmail", "ses:SendRawEmail"]);
    const [identity, configurationSet] = statements[0]!.Resource.map((r) => JSON.stringify(r));
    expect(statements[0]!.Resource).toHaveLength(2);
    expect(identity).toContain(":identity/example.com");
    expect(configurationSet).toContain(":configuration-set/");
    expect(configurationSet).toContain(JSON.stringify({ Ref: logicalId(mail.configurationSet) }));
  });

  it("leaves cdk-nag nothing to report", () => {
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });
});

describe("mail sender", () => {
  it("takes the address out of 'Name <address>' or a bare address", () => {
    expect(senderAddress("Cortex <invitations@example.com>")).toBe("invitations@example.com");
    expect(senderAddress("  invitations@example.com ")).toBe("invitations@example.com");
  });

  it("sends as the domain of the sender's address unless told otherwise", () => {
    expect(senderDomain("Cortex Invitations <invitations@Mail.Example.net>")).toBe("mail.example.net");
    expect(senderDomain("invitations@example.com")).toBe("example.com");
  });

  it("refuses a sender without an address, so a typo fails the synth rather than every send", () => {
    for (const from of ["Cortex", "Cortex <invitations>", "Cortex <>", "a b@example.com"]) {
      expect(() => senderAddress(from), from).toThrow(/is not "Name <address>" or an address/);
    }
  });
});
