/**
 * The SMS text for a code. The template comes from config (`sms.messageTemplate`,
 * which must contain `{code}`). The text is never logged: it holds the code.
 */
export function renderSmsText(template: string, code: string): string {
  if (!template.includes('{code}')) {
    throw new Error('the SMS message template must contain {code}');
  }
  return template.replaceAll('{code}', code);
}
